import * as tf from '@tensorflow/tfjs';

/**
 * Probabilities clipped to [ε, 1 − ε], as Keras and tfjs-layers do before a logarithm, with tfjs-layers' ε:
 * the backend's, 1e-7 (Keras's) on the float32 backends (cpu, wasm, WebGL in float32), 1e-4 in float16.
 */
export function clipProbabilities(probabilities: tf.Tensor): tf.Tensor {
  const epsilon = tf.backend().epsilon();
  return tf.clipByValue(probabilities, epsilon, 1 - epsilon);
}
