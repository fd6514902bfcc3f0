import * as tf from '@tensorflow/tfjs';
import { checkSameShape } from './checkSameShape.js';
import { clipProbabilities } from './clipProbabilities.js';

/**
 * Per-example categorical cross-entropy between one-hot (or probability) labels and predicted
 * probabilities, as Keras and tfjs-layers define it for `compile({ loss: 'categoricalCrossentropy' })`:
 * the predictions are scaled to sum to 1 over the last axis, clipped to [ε, 1 − ε] (ε = 1e-7 on float32
 * backends), and the loss is −Σ labels · log p over the last axis. For a model ending in `softmax`;
 * for logits use {@link softmaxCrossEntropy}.
 *
 * ## Example
 * ```ts
 * losses.categoricalCrossentropy(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.5, 0.5]])).print(); // [0.6931]
 * ```
 *
 * @param labels one-hot labels, shape `[batch, classes]`
 * @param probabilities predicted class probabilities, the same shape
 * @returns the loss of each example, a new tensor of shape `[batch]`
 * @throws {ShapeMismatchError} when the shapes differ
 */
export function categoricalCrossentropy(labels: tf.Tensor, probabilities: tf.Tensor): tf.Tensor {
  checkSameShape('losses.categoricalCrossentropy', labels, probabilities, 'categorical');
  return tf.tidy(() => {
    const last = probabilities.rank - 1;
    const p = clipProbabilities(tf.div(probabilities, tf.sum(probabilities, last, true)));
    return tf.neg(tf.sum(tf.mul(tf.cast(labels, 'float32'), tf.log(p)), last));
  });
}
