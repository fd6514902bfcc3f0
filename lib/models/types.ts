import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../params/types.js';

/** How {@link Model.apply} is called: to train (gradstream differentiating) or to infer (evaluate, predict). */
export interface ApplyOptions {
  /**
   * `true` when gradstream computes a gradient from this call ({@link train}, {@link gradientSample});
   * `false` for evaluation and prediction. A model with layers that act differently in training (Dropout,
   * BatchNormalization) honours it; a model without such layers may ignore it.
   */
  readonly training: boolean;
}

/**
 * A model as a pure function of its parameters: `apply(params, xs, options)` returns predictions and
 * reads no other state, so that gradstream can differentiate it with respect to `params` and compute
 * every micro-batch of a window with the same parameters.
 *
 * Inference mode: gradstream calls `apply(params, xs, { training: true })` when it differentiates, and
 * `{ training: false }` when it evaluates ({@link evaluate}); evaluate your own parameters the same way.
 * {@link fromLayersModel} maps the flag to the Layers' own `training` argument, and, like tfjs's
 * `layer.apply`, treats a call without options as inference: Dropout off, BatchNormalization normalising
 * with its moving statistics and leaving them untouched.
 *
 * ## Example
 * ```ts
 * const model: Model = {
 *   params: { w: tf.scalar(2) },
 *   apply: (p, xs) => tf.mul(xs, p['w']!), // no training-only behaviour: the options can be ignored
 * };
 * const predictions = model.apply(model.params, tf.ones([3]), { training: false });
 * ```
 */
export interface Model {
  /** The initial parameters (owned by the model's creator). */
  readonly params: Params;
  /**
   * Predictions for `xs` under `params`. Must not dispose or keep its inputs.
   * @param options `{ training: true }` when gradstream differentiates, `{ training: false }` or absent to infer
   */
  apply(params: Params, xs: tf.Tensor, options?: ApplyOptions): tf.Tensor;
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

/** A layer whose output for one example depends on the other examples of its batch, in training. */
export interface BatchCoupledLayer {
  /** The layer's name, as `model.getLayer(name)` finds it. */
  readonly name: string;
  /** Its class, e.g. `BatchNormalization`. */
  readonly className: string;
}
