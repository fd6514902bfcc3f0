import * as tf from '@tensorflow/tfjs';
import { BatchError } from '../errors/BatchError.js';
import { ConfigError } from '../errors/ConfigError.js';
import { NonFiniteGradientError } from '../errors/NonFiniteGradientError.js';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';
import type { GradientSample } from '../gradients/types.js';
import { disposeTree, firstNonFinite, globalNormOf, mapParams, zipParams } from '../internal/tensorMaps.js';
import type { Params } from '../optim/types.js';
import type { AccumulateConfig } from './accumulate.js';
import type { AccumulatedGradients } from './types.js';

const FN = 'accumulate';

/** The open window of {@link accumulate}: what the operator feeds, and the tensors it owns in between. */
export interface RunningWindow {
  /** Takes a sample (and its tensors); returns the window it closes, if it closes one. */
  add(sample: GradientSample): ReadonlyArray<AccumulatedGradients>;
  /** At completion: the partial window, applied or dropped. */
  finish(): ReadonlyArray<AccumulatedGradients>;
  /** Frees the running sum: on completion, error and unsubscribe. */
  release(): void;
}

/**
 * The arithmetic of accumulation, one window at a time: a running sum of gradients and losses, a running
 * count, divided once when the window closes. Holds two things between samples, the sum of gradients and
 * the sum of losses, whatever the window's size.
 */
export function runningWindow(config: AccumulateConfig): RunningWindow {
  let updates = config.startStep;
  let size = 0;
  let sum: Params | undefined;
  let lossSum: tf.Scalar | undefined;
  let count = 0;
  let microBatches = 0;
  let examples = 0;
  let skippedMicroBatches = 0;
  let poisoned = false;

  const release = (): void => {
    if (sum) disposeTree(sum);
    lossSum?.dispose();
    sum = undefined;
    lossSum = undefined;
  };
  const reset = (): void => {
    release();
    size = 0;
    count = 0;
    microBatches = 0;
    examples = 0;
    skippedMicroBatches = 0;
    poisoned = false;
  };

  const sizeAt = (updateStep: number): number => {
    if (typeof config.steps === 'number') return config.steps;
    const n = config.steps(updateStep);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(FN, `accumulationSteps(${updateStep})`, n, 'an integer >= 1');
    return n;
  };

  /**
   * What a non-finite value does under the policy: throws for 'error', else drops the micro-batch
   * (`microBatch` given, 'skip-micro-batch') or the whole window.
   */
  const nonFinite = (what: string, microBatch: number | undefined): void => {
    if (config.nonFinite === 'error') throw new NonFiniteGradientError(updates + 1, microBatch, what, what);
    if (config.nonFinite === 'skip-update' || microBatch === undefined) {
      // The window is lost: free its sum now and keep counting its micro-batches.
      poisoned = true;
      release();
    } else skippedMicroBatches += 1;
  };

  const close = (partial: boolean): AccumulatedGradients => {
    const counts = { updateStep: updates, microBatches, examples, skippedMicroBatches, partial };
    if (poisoned || !sum || !lossSum || count <= 0) {
      const reason = poisoned ? 'non-finite' : 'empty';
      reset();
      return { ...counts, skipped: true, reason };
    }
    const [total, summed, summedLoss] = [count, sum, lossSum];
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
      nonFinite(bad, undefined);
      reset();
      return { ...counts, skipped: true, reason: 'non-finite' };
    }
    reset();
    updates += 1;
    return { ...counts, skipped: false, grads, loss, count: total, gradNorm };
  };

  /** The loss, read (a scalar); the gradients one by one only where the policy must know the micro-batch. */
  const nonFiniteIn = (sample: GradientSample): string | undefined => {
    if (!Number.isFinite(sample.loss.dataSync()[0])) return 'loss';
    if (config.nonFinite !== 'skip-micro-batch') return undefined;
    return firstNonFinite(Object.entries(sample.grads).map(([name, g]) => [`gradient of '${name}'`, g] as const));
  };

  const add = (sample: GradientSample): ReadonlyArray<AccumulatedGradients> => {
    if (size === 0) size = sizeAt(updates);
    microBatches += 1;
    examples += sample.examples;
    if (sample.count < 0) throw new BatchError(FN, `a sample's count must be >= 0, got ${sample.count}`, sample.count);
    if (!Number.isFinite(sample.count)) {
      // A NaN count (a mask with a NaN in it, say) is data gone non-finite: the policy decides.
      nonFinite('count', microBatches);
      disposeSample(sample);
    } else {
      const mismatch = sum && namesDiffer(sum, sample.grads);
      if (mismatch)
        throw new ParamMismatchError(FN, mismatch, 'a gradient sample has different parameters from its window', Object.keys(sample.grads));
      const bad = poisoned ? undefined : nonFiniteIn(sample);
      if (bad !== undefined) nonFinite(bad, microBatches);
      if (bad !== undefined || poisoned) disposeSample(sample);
      else if (!sum || !lossSum) {
        // The first sample's tensors become the running sum as they are: no copy.
        sum = sample.grads;
        lossSum = sample.loss;
        count += sample.count;
      } else {
        const [previous, previousLoss] = [sum, lossSum];
        // Replace, then dispose the old sum: holding N sums would defeat the point of accumulating.
        sum = tf.tidy(() => zipParams(previous, sample.grads, tf.add));
        lossSum = tf.tidy(() => tf.add(previousLoss, sample.loss)) as tf.Scalar;
        disposeTree(previous);
        previousLoss.dispose();
        disposeSample(sample);
        count += sample.count;
      }
    }
    return microBatches === size ? [close(false)] : [];
  };

  return {
    add: (sample) => {
      try {
        return add(sample);
      } catch (error) {
        // Whatever threw, the sample is ours: free it (a second dispose is harmless).
        disposeSample(sample);
        throw error;
      }
    },
    finish: () => {
      if (microBatches === 0) return [];
      if (config.partialWindow === 'apply') return [close(true)];
      reset();
      return [];
    },
    release: reset,
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
