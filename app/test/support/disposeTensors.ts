import * as tf from '@tensorflow/tfjs';

/** Disposes every tensor in a tree (a loaded state). */
export function disposeTensors(value: unknown): void {
  if (value instanceof tf.Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeTensors);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(disposeTensors);
}
