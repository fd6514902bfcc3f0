import * as tf from '@tensorflow/tfjs';
import { checkSameShape } from './checkSameShape.js';

/**
 * Per-example softmax cross-entropy between one-hot (or probability) labels and logits:
 * −Σ labels · log softmax(logits) over the last axis, shape `[batch]`.
 *
 * ## Example
 * ```ts
 * losses.softmaxCrossEntropy(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 0]])).print(); // [0.6931]
 * ```
 *
 * @param labels one-hot labels, shape `[batch, classes]`
 * @param logits unnormalised scores, the same shape
 * @returns the loss of each example, a new tensor of shape `[batch]`
 * @throws {ShapeMismatchError} when the shapes differ
 */
export function softmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  checkSameShape('losses.softmaxCrossEntropy', labels, logits, 'categorical');
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
}
