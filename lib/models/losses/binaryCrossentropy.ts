import * as tf from '@tensorflow/tfjs';
import { checkSameShape } from './checkSameShape.js';
import { clipProbabilities } from './clipProbabilities.js';
import { sigmoidCrossEntropy } from './sigmoidCrossEntropy.js';

/**
 * Per-example binary cross-entropy between labels in [0, 1] and predicted probabilities, as Keras and
 * tfjs-layers define `'binaryCrossentropy'`: probabilities clipped to [ε, 1 − ε] (ε = 1e-7 on float32
 * backends), turned back into logits log(p / (1 − p)), then {@link sigmoidCrossEntropy}: −[z·log p +
 * (1 − z)·log(1 − p)] averaged over the last axis. For a model ending in `sigmoid`; for logits use
 * {@link sigmoidCrossEntropy}.
 *
 * ## Example
 * ```ts
 * losses.binaryCrossentropy(tf.tensor1d([1]), tf.tensor1d([0.5])).print(); // [0.6931]
 * ```
 *
 * @param labels targets in [0, 1], shape `[batch]` or `[batch, outputs]`
 * @param probabilities predicted probabilities, the same shape
 * @returns the loss of each example, a new tensor of shape `[batch]`
 * @throws {ShapeMismatchError} when the shapes differ
 */
export function binaryCrossentropy(labels: tf.Tensor, probabilities: tf.Tensor): tf.Tensor {
  checkSameShape('losses.binaryCrossentropy', labels, probabilities);
  return tf.tidy(() => {
    const p = clipProbabilities(probabilities);
    return sigmoidCrossEntropy(tf.cast(labels, 'float32'), tf.log(tf.div(p, tf.sub(1, p))));
  });
}
