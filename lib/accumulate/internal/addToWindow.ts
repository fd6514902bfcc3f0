import * as tf from '@tensorflow/tfjs';
import { BatchError } from '../../errors/BatchError.js';
import { ParamMismatchError } from '../../errors/ParamMismatchError.js';
import { disposeTree, firstNonFinite, zipParams } from '../../internal/tensorMaps.js';
import { getOrThrow } from '../../internal/validate.js';
import type { Params } from '../../params/types.js';
import type { AccumulatedGradients, WindowState } from '../types.js';
import { closeWindow, freeze, nonFinite, releaseSums, type Working } from './closeWindow.js';
import { disposeSample } from './disposeSample.js';
import type { WindowConfig, WindowSample } from './windowTypes.js';
import { disposeWindow } from './windowState.js';
import { windowSize } from './windowSize.js';

const FN = 'accumulate';

/**
 * Adds one gradient sample to a window: the arithmetic of accumulation, as a pure step from a window
 * state to the next (Optax's `MultiSteps.update`). A running sum of gradients and losses and a running
 * count, divided once when the window closes; the state holds two sums whatever the window's size.
 * Every shell drives this one function: {@link accumulate} (and so `train`) through a running window,
 * the `model.fit` wrapper on its own state.
 *
 * Ownership: consumes `state` and `sample` (their tensors become the returned state's, the closed
 * window's, or are disposed); the caller owns what it returns. When it throws, every tensor of `state`
 * and `sample` has been disposed.
 *
 * @returns the next state and, when the sample closes the window, that window
 */
export function addToWindow(
  config: WindowConfig,
  state: WindowState,
  sample: WindowSample,
): readonly [WindowState, AccumulatedGradients | undefined] {
  const w: Working = { ...state };
  try {
    const closed = addTo(config, w, sample);
    return [freeze(w), closed];
  } catch (error) {
    // Whatever threw, the sample and the window are ours: free them (a second dispose is harmless).
    disposeSample(sample);
    releaseSums(w);
    disposeWindow(state);
    throw error;
  }
}

const addTo = (config: WindowConfig, w: Working, sample: WindowSample): AccumulatedGradients | undefined => {
  if (w.size === 0) w.size = getOrThrow(windowSize(config.steps, w.updates));
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
    else if (!w.sum) {
      // The first sample's tensors become the running sum as they are: no copy.
      w.sum = sample.grads;
      if (sample.loss) w.lossSum = sample.loss;
      w.count += sample.count;
    } else {
      const [previous, previousLoss, loss] = [w.sum, w.lossSum, sample.loss];
      // Replace, then dispose the old sum: holding N sums would defeat the point of accumulating.
      w.sum = tf.tidy(() => zipParams(previous, sample.grads, tf.add));
      // A loss sum only over samples that all carry a loss: one without it leaves the window none.
      if (previousLoss && loss) w.lossSum = tf.tidy(() => tf.add(previousLoss, loss)) as tf.Scalar;
      else delete w.lossSum;
      disposeTree(previous);
      previousLoss?.dispose();
      disposeSample(sample);
      w.count += sample.count;
    }
  }
  return w.microBatches === w.size ? closeWindow(config, w, false) : undefined;
};

/** The loss, read (a scalar); the gradients one by one only where the policy must know the micro-batch. */
const nonFiniteIn = (config: WindowConfig, sample: WindowSample): string | undefined => {
  if (config.nonFinite === 'unchecked') return undefined;
  if (sample.loss && !Number.isFinite(sample.loss.dataSync()[0])) return 'loss';
  if (config.nonFinite !== 'skip-micro-batch') return undefined;
  return firstNonFinite(Object.entries(sample.grads).map(([name, g]) => [`gradient of '${name}'`, g] as const));
};

/** The first name that one map has and the other lacks, or whose shapes differ; `undefined` if none. */
function namesDiffer(window: Params, sample: Params): string | undefined {
  for (const [name, t] of Object.entries(window)) {
    const g = sample[name];
    if (!g || g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i])) return name;
  }
  return Object.keys(sample).find((name) => !(name in window));
}
