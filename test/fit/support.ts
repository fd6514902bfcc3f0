import * as tf from '@tensorflow/tfjs';
import { randomValues } from '../support/fixtures.js';

/** A small softmax MLP, 8 → 16 (tanh) → 3, with seeded initial weights: two calls give two equal models. */
export function mlpModel(seed = 1): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [8], units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** A small conv net in the style of tfjs-examples mnist-node: conv 3×3 (relu), max-pool, flatten, dense softmax. */
export function convModel(seed = 1): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Plain values of `count` examples of the given input shape, each labelled one of 3 classes (one-hot). */
export interface Examples {
  readonly xs: Float32Array;
  readonly ys: Float32Array;
  readonly inputShape: ReadonlyArray<number>;
  readonly count: number;
}

export function examples(count: number, inputShape: ReadonlyArray<number>, seed = 3): Examples {
  const width = inputShape.reduce((a, b) => a * b, 1);
  const xs = randomValues(count * width, seed);
  const ys = new Float32Array(count * 3);
  // The class is the sign pattern of the first two features, so the nets have something to learn.
  for (let i = 0; i < count; i++) ys[i * 3 + ((xs[i * width]! > 0 ? 1 : 0) + (xs[i * width + 1]! > 0 ? 1 : 0))] = 1;
  return { xs, ys, inputShape, count };
}

/** Fresh tensors of examples [start, end). */
export function tensorsOf(data: Examples, start = 0, end = data.count): { xs: tf.Tensor; ys: tf.Tensor } {
  const width = data.xs.length / data.count;
  return {
    xs: tf.tensor(data.xs.slice(start * width, end * width), [end - start, ...data.inputShape]),
    ys: tf.tensor2d(data.ys.slice(start * 3, end * 3), [end - start, 3]),
  };
}

/** Every weight of a model, copied out, by index. */
export function weightsOf(model: tf.LayersModel): Record<string, Float32Array> {
  return Object.fromEntries(model.getWeights().map((w, i) => [String(i), w.dataSync() as Float32Array]));
}
