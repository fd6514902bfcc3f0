import * as tf from '@tensorflow/tfjs';
import { ConfigError } from 'gradstream';

/** Options of {@link mnistCnn}. */
export interface MnistCnnOptions {
  /** Seed of the Glorot-uniform initial weights, an integer >= 0: the same seed, the same weights. */
  readonly seed: number;
}

/**
 * The small convolutional digit classifier of `gradstream train --model cnn`: inputs `[28, 28, 1]`,
 * two 3×3 ReLU convolutions (8 and 16 filters), each followed by 2×2 max pooling, then 10 logits
 * (no softmax: the loss takes logits). About 6,000 parameters: small enough to train on a CPU in
 * minutes, and a convolution path through gradstream that the MLP does not exercise.
 *
 * Kernels are Glorot-uniform with seeds derived from `seed`, one per layer; biases zero.
 *
 * ## Example
 * ```ts
 * const model = fromLayersModel(mnistCnn({ seed: 42 }));
 * model.apply(model.params, tf.zeros([32, 28, 28, 1])).shape; // [32, 10]
 * ```
 *
 * @param options the seed
 * @returns a new `tf.Sequential` whose weights the caller owns (`model.dispose()` frees them)
 * @throws ConfigError synchronously for a seed that is not an integer >= 0
 */
export function mnistCnn(options: MnistCnnOptions): tf.Sequential {
  const seed = options.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError('mnistCnn', 'seed', seed, 'an integer >= 0');
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  return tf.sequential({
    name: 'mnistCnn',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(0) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: init(2) }),
    ],
  });
}
