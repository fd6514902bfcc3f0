import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../optim/types.js';

/**
 * A model as a pure function of its parameters: `apply(params, xs)` returns predictions and reads no
 * other state, so that gradstream can differentiate it with respect to `params` and compute every
 * micro-batch of a window with the same parameters.
 */
export interface Model {
  /** The initial parameters (owned by the model's creator). */
  readonly params: Params;
  /** Predictions for `xs` under `params`. Must not dispose or keep its inputs. */
  apply(params: Params, xs: tf.Tensor): tf.Tensor;
}

/**
 * A loss, given labels and predictions. Either per-example losses, a tensor of shape `[batch]` (the
 * window's loss is their mean over all the window's examples), or an explicit sum and count, for losses
 * over items such as tokens (the window's loss is the sum of sums over the sum of counts, so micro-batches
 * with more real items weigh more).
 */
export type Loss = (
  labels: tf.Tensor,
  predictions: tf.Tensor,
) => tf.Tensor | { readonly sum: tf.Scalar; readonly count: number | tf.Scalar };
