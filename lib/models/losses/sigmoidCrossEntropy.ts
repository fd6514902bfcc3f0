import * as tf from '@tensorflow/tfjs';
import { checkSameShape } from './checkSameShape.js';
import { perExample } from './perExample.js';

/**
 * Per-example sigmoid cross-entropy between labels in [0, 1] and logits, in the stable form
 * max(x, 0) − x·z + log(1 + e^−|x|), averaged over the last axis (for labels of shape `[batch]`, one
 * value per example as it is).
 *
 * ## Example
 * ```ts
 * losses.sigmoidCrossEntropy(tf.tensor1d([1]), tf.tensor1d([0])).print(); // [0.6931]
 * ```
 *
 * @param labels targets in [0, 1], shape `[batch]` or `[batch, outputs]`
 * @param logits unnormalised scores, the same shape
 * @returns the loss of each example, a new tensor of shape `[batch]`
 * @throws {ShapeMismatchError} when the shapes differ
 */
export function sigmoidCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  checkSameShape('losses.sigmoidCrossEntropy', labels, logits);
  return tf.tidy(() =>
    perExample(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))),
  );
}
