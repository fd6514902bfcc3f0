import * as tf from '@tensorflow/tfjs';
import { NonFiniteGradientError } from '../../errors/NonFiniteGradientError.js';
import { disposeTree, firstNonFinite, globalNormOf, mapParams } from '../../internal/tensorMaps.js';
import type { AccumulatedGradients, WindowState } from '../types.js';
import type { WindowConfig } from './windowTypes.js';
import { emptyWindow } from './windowState.js';

/** A mutable working copy of a window, inside one call of the pure window functions. */
export type Working = { -readonly [K in keyof WindowState]: WindowState[K] };

/** The working copy as a state again: no `lossSum` without a `sum`, no key for an absent one. */
export const freeze = (w: Working): WindowState => {
  const { sum, lossSum, ...rest } = w;
  if (!sum) return rest;
  return lossSum ? { ...rest, sum, lossSum } : { ...rest, sum };
};

/** Frees the working copy's sums and forgets them. */
export const releaseSums = (w: Working): void => {
  if (w.sum) disposeTree(w.sum);
  w.lossSum?.dispose();
  delete w.sum;
  delete w.lossSum;
};

/**
 * What a non-finite value does under the policy: throws for 'error', else drops the micro-batch
 * (`microBatch` given, 'skip-micro-batch') or the whole window.
 */
export const nonFinite = (config: WindowConfig, w: Working, what: string, microBatch: number | undefined): void => {
  if (config.nonFinite === 'error') throw new NonFiniteGradientError(w.updates + 1, microBatch, what, what);
  if (config.nonFinite === 'skip-update' || microBatch === undefined) {
    // The window is lost: free its sum now and keep counting its micro-batches.
    w.poisoned = true;
    releaseSums(w);
  } else w.skippedMicroBatches += 1;
};

/** Closes `w`: its mean gradient (or the reason it makes none); `w` becomes the next, empty window. */
export const closeWindow = (config: WindowConfig, w: Working, partial: boolean): AccumulatedGradients => {
  const counts = {
    updateStep: w.updates,
    microBatches: w.microBatches,
    examples: w.examples,
    skippedMicroBatches: w.skippedMicroBatches,
    partial,
  };
  const reset = (updates: number): void => {
    releaseSums(w);
    Object.assign(w, emptyWindow(updates));
  };
  if (w.poisoned || !w.sum || w.count <= 0) {
    const reason = w.poisoned ? 'non-finite' : 'empty';
    reset(w.updates);
    return { ...counts, skipped: true, reason };
  }
  const [total, summed, summedLoss] = [w.count, w.sum, w.lossSum];
  // The mean over the window's items: Σ grads / Σ counts, divided once, at the end.
  const grads = tf.tidy(() => mapParams(summed, (g) => tf.div(g, total)));
  const loss = summedLoss === undefined ? Number.NaN : (summedLoss.dataSync()[0] as number) / total;
  if (config.nonFinite === 'unchecked') {
    reset(w.updates + 1);
    return { ...counts, skipped: false, grads, loss, count: total, gradNorm: Number.NaN };
  }
  // The norm is non-finite when any element is (or when finite squares overflow: then no tensor is
  // named, and the window goes on). One read per window checks every gradient of every micro-batch.
  const gradNorm = globalNormOf(grads);
  const bad = Number.isFinite(gradNorm)
    ? undefined
    : firstNonFinite(Object.entries(grads).map(([n, g]) => [`accumulated gradient of '${n}'`, g] as const));
  if (bad !== undefined) {
    disposeTree(grads);
    nonFinite(config, w, bad, undefined);
    reset(w.updates);
    return { ...counts, skipped: true, reason: 'non-finite' };
  }
  reset(w.updates + 1);
  return { ...counts, skipped: false, grads, loss, count: total, gradNorm };
};
