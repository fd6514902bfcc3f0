import type * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from '../../errors/ShapeMismatchError.js';

/**
 * Throws a {@link ShapeMismatchError} naming `fn` unless predictions have the labels' shape.
 *
 * For a categorical loss (`kind: 'categorical'`), labels that look like class indices get a hint: one
 * axis fewer than the predictions (`[batch]` against `[batch, classes]`), a last axis of 1 against many
 * classes, or an int dtype. Passing indices where one-hot labels are expected is the most common first
 * mistake with these losses, and a bare pair of shapes does not say what to do about it.
 */
export function checkSameShape(fn: string, labels: tf.Tensor, predictions: tf.Tensor, kind: 'categorical' | 'elementwise' = 'elementwise'): void {
  const same = labels.rank === predictions.rank && labels.shape.every((d, i) => d === predictions.shape[i]);
  if (same) return;
  const hint = kind === 'categorical' ? classIndexHint(labels, predictions) : undefined;
  throw new ShapeMismatchError(fn, 'predictions and labels', labels.shape, predictions.shape, ['predictions', 'labels'], hint);
}

function classIndexHint(labels: tf.Tensor, predictions: tf.Tensor): string | undefined {
  const classes = predictions.shape[predictions.rank - 1] ?? 1;
  if (classes <= 1) return undefined;
  const oneAxisFewer = labels.rank === predictions.rank - 1;
  const lastAxisOne = labels.rank === predictions.rank && labels.shape[labels.rank - 1] === 1;
  if (!oneAxisFewer && !lastAxisOne && labels.dtype !== 'int32') return undefined;
  return (
    `the labels look like class indices (${labels.dtype}); this loss needs one-hot labels of shape ` +
    `[..., ${classes}]: one-hot them with tf.oneHot(labels, ${classes}), or keep the indices and use ` +
    `losses.sparseCategoricalCrossentropy (on predicted probabilities)`
  );
}
