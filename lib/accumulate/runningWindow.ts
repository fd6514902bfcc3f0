import * as tf from '@tensorflow/tfjs';
import { BatchError } from '../errors/BatchError.js';
import { ConfigError } from '../errors/ConfigError.js';
import { NonFiniteGradientError } from '../errors/NonFiniteGradientError.js';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';
import type { GradientSample } from '../gradients/types.js';
import { disposeTree, firstNonFinite, globalNormOf, mapParams, zipParams } from '../internal/tensorMaps.js';
import type { Params } from '../optim/types.js';
import type { AccumulateConfig } from './accumulate.js';
import type { AccumulatedGradients, WindowState } from './types.js';

const FN = 'accumulate';

/** An empty window that opens after `updates` updates. */
export const emptyWindow = (updates: number): WindowState => ({
  updates,
  size: 0,
  microBatches: 0,
  examples: 0,
  skippedMicroBatches: 0,
  count: 0,
  poisoned: false,
});

/** A mutable working copy of a window, inside one call of the pure functions below. */
type Working = { -readonly [K in keyof WindowState]: WindowState[K] };

const freeze = (w: Working): WindowState => {
  const { sum, lossSum, ...rest } = w;
  return sum && lossSum ? { ...rest, sum, lossSum } : rest;
};

const release = (w: Working): void => {
  if (w.sum) disposeTree(w.sum);
  w.lossSum?.dispose();
  delete w.sum;
  delete w.lossSum;
};

const sizeAt = (config: AccumulateConfig, updateStep: number): number => {
  if (typeof config.steps === 'number') return config.steps;
  const n = config.steps(updateStep);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(FN, `accumulationSteps(${updateStep})`, n, 'an integer >= 1');
  return n;
};

/**
 * What a non-finite value does under the policy: throws for 'error', else drops the micro-batch
 * (`microBatch` given, 'skip-micro-batch') or the whole window.
 */
const nonFinite = (config: AccumulateConfig, w: Working, what: string, microBatch: number | undefined): void => {
  if (config.nonFinite === 'error') throw new NonFiniteGradientError(w.updates + 1, microBatch, what, what);
  if (config.nonFinite === 'skip-update' || microBatch === undefined) {
    // The window is lost: free its sum now and keep counting its micro-batches.
    w.poisoned = true;
    release(w);
  } else w.skippedMicroBatches += 1;
};

/** Closes `w`: its mean gradient (or the reason it makes none); `w` becomes the next, empty window. */
const close = (config: AccumulateConfig, w: Working, partial: boolean): AccumulatedGradients => {
  const counts = {
    updateStep: w.updates,
    microBatches: w.microBatches,
    examples: w.examples,
    skippedMicroBatches: w.skippedMicroBatches,
    partial,
  };
  const reset = (updates: number): void => {
    release(w);
    Object.assign(w, emptyWindow(updates));
  };
  if (w.poisoned || !w.sum || !w.lossSum || w.count <= 0) {
    const reason = w.poisoned ? 'non-finite' : 'empty';
    reset(w.updates);
    return { ...counts, skipped: true, reason };
  }
  const [total, summed, summedLoss] = [w.count, w.sum, w.lossSum];
  // The mean over the window's items: Σ grads / Σ counts, divided once, at the end.
  const grads = tf.tidy(() => mapParams(summed, (g) => tf.div(g, total)));
  const loss = (summedLoss.dataSync()[0] as number) / total;
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

/** The loss, read (a scalar); the gradients one by one only where the policy must know the micro-batch. */
const nonFiniteIn = (config: AccumulateConfig, sample: GradientSample): string | undefined => {
  if (!Number.isFinite(sample.loss.dataSync()[0])) return 'loss';
  if (config.nonFinite !== 'skip-micro-batch') return undefined;
  return firstNonFinite(Object.entries(sample.grads).map(([name, g]) => [`gradient of '${name}'`, g] as const));
};

const addTo = (config: AccumulateConfig, w: Working, sample: GradientSample): AccumulatedGradients | undefined => {
  if (w.size === 0) w.size = sizeAt(config, w.updates);
  w.microBatches += 1;
  w.examples += sample.examples;
  if (sample.count < 0) throw new BatchError(FN, `a sample's count must be >= 0, got ${sample.count}`, sample.count);
  if (!Number.isFinite(sample.count)) {
    // A NaN count (a mask with a NaN in it, say) is data gone non-finite: the policy decides.
    nonFinite(config, w, 'count', w.microBatches);
    disposeSample(sample);
  } else {
    const mismatch = w.sum && namesDiffer(w.sum, sample.grads);
    if (mismatch)
      throw new ParamMismatchError(FN, mismatch, 'a gradient sample has different parameters from its window', Object.keys(sample.grads));
    const bad = w.poisoned ? undefined : nonFiniteIn(config, sample);
    if (bad !== undefined) nonFinite(config, w, bad, w.microBatches);
    if (bad !== undefined || w.poisoned) disposeSample(sample);
    else if (!w.sum || !w.lossSum) {
      // The first sample's tensors become the running sum as they are: no copy.
      w.sum = sample.grads;
      w.lossSum = sample.loss;
      w.count += sample.count;
    } else {
      const [previous, previousLoss] = [w.sum, w.lossSum];
      // Replace, then dispose the old sum: holding N sums would defeat the point of accumulating.
      w.sum = tf.tidy(() => zipParams(previous, sample.grads, tf.add));
      w.lossSum = tf.tidy(() => tf.add(previousLoss, sample.loss)) as tf.Scalar;
      disposeTree(previous);
      previousLoss.dispose();
      disposeSample(sample);
      w.count += sample.count;
    }
  }
  return w.microBatches === w.size ? close(config, w, false) : undefined;
};

/**
 * Adds one gradient sample to a window: the arithmetic of accumulation, as a pure step from a window
 * state to the next (Optax's `MultiSteps.update`). A running sum of gradients and losses and a running
 * count, divided once when the window closes; the state holds two sums whatever the window's size.
 *
 * Ownership: consumes `state` and `sample` (their tensors become the returned state's, the closed
 * window's, or are disposed); the caller owns what it returns. When it throws, every tensor of `state`
 * and `sample` has been disposed.
 *
 * @returns the next state and, when the sample closes the window, that window
 */
export function addToWindow(
  config: AccumulateConfig,
  state: WindowState,
  sample: GradientSample,
): readonly [WindowState, AccumulatedGradients | undefined] {
  const w: Working = { ...state };
  try {
    const closed = addTo(config, w, sample);
    return [freeze(w), closed];
  } catch (error) {
    // Whatever threw, the sample and the window are ours: free them (a second dispose is harmless).
    disposeSample(sample);
    release(w);
    if (state.sum) disposeTree(state.sum);
    state.lossSum?.dispose();
    throw error;
  }
}

/**
 * At completion: the partial window, applied (`partialWindow: 'apply'`) or dropped. Consumes `state`.
 * When it throws, every tensor of `state` has been disposed.
 */
export function finishWindow(config: AccumulateConfig, state: WindowState): AccumulatedGradients | undefined {
  const w: Working = { ...state };
  try {
    if (w.microBatches === 0) return undefined;
    if (config.partialWindow === 'apply') return close(config, w, true);
    return undefined;
  } finally {
    release(w);
  }
}

/** Copies of a window's tensors: the window stays its owner's. */
export function copyWindow(state: WindowState): WindowState {
  const { sum, lossSum, ...rest } = state;
  if (!sum || !lossSum) return rest;
  return { ...rest, sum: mapParams(sum, (t) => tf.clone(t)), lossSum: tf.clone(lossSum) };
}

/** The open window of {@link accumulate}: the shell that holds a {@link WindowState} and owns its tensors. */
export interface RunningWindow {
  /** Takes a sample (and its tensors); returns the window it closes, if it closes one. */
  add(sample: GradientSample): ReadonlyArray<AccumulatedGradients>;
  /** At completion: the partial window, applied or dropped. */
  finish(): ReadonlyArray<AccumulatedGradients>;
  /** Hands the open window (and its tensors) to the caller; the shell then holds an empty one. */
  take(): WindowState;
  /** Frees the running sum: on completion, error and unsubscribe. */
  release(): void;
}

/**
 * The shell around {@link addToWindow}: keeps the current window state between samples, so that an
 * operator can feed it. Starts from a copy of `initial` (which stays its owner's) or an empty window.
 */
export function runningWindow(config: AccumulateConfig, initial?: WindowState): RunningWindow {
  let state = initial ? copyWindow(initial) : emptyWindow(config.startStep);
  return {
    add: (sample) => {
      const [next, closed] = addToWindow(config, state, sample);
      state = next;
      return closed ? [closed] : [];
    },
    finish: () => {
      const current = state;
      state = emptyWindow(current.updates);
      const closed = finishWindow(config, current);
      return closed ? [closed] : [];
    },
    take: () => {
      const current = state;
      state = emptyWindow(current.updates);
      return current;
    },
    release: () => {
      if (state.sum) disposeTree(state.sum);
      state.lossSum?.dispose();
      state = emptyWindow(state.updates);
    },
  };
}

function disposeSample(sample: GradientSample): void {
  disposeTree(sample.grads);
  sample.loss.dispose();
}

/** The first name that one map has and the other lacks, or whose shapes differ; `undefined` if none. */
function namesDiffer(window: Params, sample: Params): string | undefined {
  for (const [name, t] of Object.entries(window)) {
    const g = sample[name];
    if (!g || g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i])) return name;
  }
  return Object.keys(sample).find((name) => !(name in window));
}
