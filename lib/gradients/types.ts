import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../params/types.js';

/**
 * What one micro-batch contributes to a window: the gradient of its loss *sum*, that sum, and how many
 * items (examples, or real tokens for `{ sum, count }` losses) it counts.
 *
 * Carrying sums and counts, not means, is what makes accumulation exact: a window's mean gradient is the
 * sum of its samples' `grads` divided by the sum of their `count`s, which is the full batch's gradient
 * whatever the micro-batch sizes.
 *
 * Ownership: whoever receives a sample owns its tensors; {@link accumulate} disposes them once added.
 */
export interface GradientSample {
  /** Gradient of `loss` with respect to each parameter. */
  readonly grads: Params;
  /** The micro-batch's loss summed over its items. */
  readonly loss: tf.Scalar;
  /** Items in the micro-batch: its examples, or the `count` of a `{ sum, count }` loss. */
  readonly count: number;
  /** Examples in the micro-batch. */
  readonly examples: number;
}
