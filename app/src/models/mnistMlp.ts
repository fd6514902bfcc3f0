import * as tf from '@tensorflow/tfjs';
import { ConfigError } from 'gradstream';

/** Options of {@link mnistMlp}. */
export interface MnistMlpOptions {
  /** Seed of the Glorot-uniform initial weights, an integer >= 0: the same seed, the same weights. */
  readonly seed: number;
  /** Units of the hidden layer. Default 128. */
  readonly hiddenUnits?: number;
}

/**
 * The digit classifier of `gradstream train --model mlp`: 784 inputs, a hidden ReLU layer of 128, and
 * 10 logits (no softmax: the loss, `losses.softmaxCrossEntropy`, takes logits, which is stabler).
 *
 * Initial kernels are Glorot-uniform with seeds derived from `seed` (one per layer, so that layers of
 * equal shape do not start equal), biases zero: two models made with the same seed are bit-identical.
 *
 * ## Example
 * ```ts
 * const model = fromLayersModel(mnistMlp({ seed: 42 }));
 * model.apply(model.params, tf.zeros([32, 784])).shape; // [32, 10]
 * ```
 *
 * @param options seed and hidden width
 * @returns a new `tf.Sequential` whose weights the caller owns (`model.dispose()` frees them)
 * @throws ConfigError synchronously for a seed or width that is not an integer in range
 */
export function mnistMlp(options: MnistMlpOptions): tf.Sequential {
  const seed = options.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError('mnistMlp', 'seed', seed, 'an integer >= 0');
  const hiddenUnits = options.hiddenUnits ?? 128;
  if (!Number.isInteger(hiddenUnits) || hiddenUnits < 1) throw new ConfigError('mnistMlp', 'hiddenUnits', hiddenUnits, 'an integer >= 1');
  return tf.sequential({
    name: 'mnistMlp',
    layers: [
      tf.layers.dense({
        name: 'hidden',
        inputShape: [784],
        units: hiddenUnits,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}
