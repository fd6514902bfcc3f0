import * as tf from '@tensorflow/tfjs';

/** Elementwise losses to one per example: the mean over every axis after the first. */
export function perExample(elementwise: tf.Tensor): tf.Tensor {
  if (elementwise.rank <= 1) return elementwise;
  return tf.mean(elementwise.reshape([elementwise.shape[0] as number, -1]), -1);
}
