import type * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '../../errors/ShapeMismatchError.js';

/** Throws a {@link ShapeMismatchError} naming `fn` unless predictions have the labels' shape. */
export function checkSameShape(fn: string, labels: tf.Tensor, predictions: tf.Tensor): void {
  const same = labels.rank === predictions.rank && labels.shape.every((d, i) => d === predictions.shape[i]);
  if (!same) throw new ShapeMismatchError(fn, 'predictions and labels', labels.shape, predictions.shape, ['predictions', 'labels']);
}
