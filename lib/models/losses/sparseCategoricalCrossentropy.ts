import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '../../errors/ShapeMismatchError.js';
import { categoricalCrossentropy } from './categoricalCrossentropy.js';
import { clipProbabilities } from './clipProbabilities.js';

/**
 * Per-example categorical cross-entropy between integer class labels and predicted probabilities, as
 * Keras and tfjs-layers define `'sparseCategoricalCrossentropy'`: labels are floored to class indices and
 * one-hot encoded, the probabilities clipped to [ε, 1 − ε], then {@link categoricalCrossentropy}. A label
 * outside [0, classes) one-hot encodes to zeros and so has loss 0, as in tfjs (checking would cost a read
 * of every batch's labels).
 *
 * ## Example
 * ```ts
 * losses.sparseCategoricalCrossentropy(tf.tensor1d([1]), tf.tensor2d([[0.5, 0.5]])).print(); // [0.6931]
 * ```
 *
 * @param labels class indices, shape `[batch]` or `[batch, 1]`
 * @param probabilities predicted class probabilities, shape `[batch, classes]`
 * @returns the loss of each example, a new tensor of shape `[batch]`
 * @throws {ShapeMismatchError} when labels do not hold one index per example
 */
export function sparseCategoricalCrossentropy(labels: tf.Tensor, probabilities: tf.Tensor): tf.Tensor {
  const fn = 'losses.sparseCategoricalCrossentropy';
  const batch = probabilities.shape[0];
  const oneIndexEach = probabilities.rank === 2 && labels.shape[0] === batch && (labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1));
  if (!oneIndexEach) throw new ShapeMismatchError(fn, 'labels (one class index per example)', [batch ?? 0], labels.shape);
  return tf.tidy(() => {
    const indices = tf.cast(tf.floor(tf.reshape(labels, [-1])), 'int32');
    const classes = probabilities.shape[1] as number;
    return categoricalCrossentropy(tf.oneHot(indices, classes), clipProbabilities(probabilities));
  });
}
