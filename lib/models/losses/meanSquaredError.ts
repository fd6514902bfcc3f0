import * as tf from '@tensorflow/tfjs';
import { checkSameShape } from './checkSameShape.js';
import { perExample } from './perExample.js';

/**
 * Per-example mean squared error: (labels − predictions)² averaged over the last axis (for labels of
 * shape `[batch]`, one value per example as it is).
 *
 * ## Example
 * ```ts
 * losses.meanSquaredError(tf.tensor2d([[1, 3]]), tf.tensor2d([[0, 0]])).print(); // [5]
 * ```
 *
 * @param labels targets, shape `[batch]` or `[batch, outputs]`
 * @param predictions the model's outputs, the same shape
 * @returns the loss of each example, a new tensor of shape `[batch]`
 * @throws {ShapeMismatchError} when the shapes differ
 */
export function meanSquaredError(labels: tf.Tensor, predictions: tf.Tensor): tf.Tensor {
  checkSameShape('losses.meanSquaredError', labels, predictions);
  return tf.tidy(() => perExample(tf.squaredDifference(labels, predictions)));
}
