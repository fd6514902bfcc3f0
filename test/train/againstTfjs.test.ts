import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { adam } from '../../lib/optim/adam.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, lazyBatches, randomValues, relativeError, valuesOf } from '../support/fixtures.js';

const [IN, HIDDEN, CLASSES, BATCH, UPDATES] = [20, 16, 5, 32, 10];

const mlp = () =>
  tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [IN], units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: CLASSES }),
    ],
  });

/** Batch i: 32 examples with one-hot labels, the same values every time it is made. */
const batch = (i: number) => {
  const xs = tf.tensor2d(randomValues(BATCH * IN, 1000 + i), [BATCH, IN]);
  const labels = Array.from(randomValues(BATCH, 2000 + i), (v) => Math.floor(((v + 1) / 2) * CLASSES) % CLASSES);
  return { xs, ys: tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES).toFloat()) };
};

describe('train against TensorFlow.js itself', () => {
  it('micro-batches of 8 with N = 4 under Adam agree with tf.train.adam().minimize on full batches of 32, after 10 updates', async () => {
    const before = tf.memory().numTensors;
    const ours = mlp();
    const reference = mlp();
    reference.setWeights(ours.getWeights());

    // The reference: what a tfjs user writes without accumulation, one full batch per update.
    const optimizer = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    const variables = reference.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let i = 0; i < UPDATES; i++) {
      const { xs, ys } = batch(i);
      optimizer.minimize(() => tf.mean(softmaxCrossEntropy(ys, reference.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar, false, variables);
      tf.dispose([xs, ys]);
    }

    const model = fromLayersModel(ours);
    const steps = await collect(
      lazyBatches(Array.from({ length: UPDATES }, (_, i) => () => batch(i))).pipe(
        train({
          model,
          loss: softmaxCrossEntropy,
          optimizer: adam({ learningRate: 0.01, epsilon: 1e-7 }),
          microBatchSize: 8,
          accumulationSteps: 4,
        }),
      ),
    );
    expect(steps.map((s) => [s.microBatches, s.examples])).toEqual(Array.from({ length: UPDATES }, () => [4, 32]));
    const expected = Object.fromEntries(
      Object.keys(model.params).map((name, i) => [name, reference.trainableWeights[i]!.read().dataSync() as Float32Array]),
    );
    expect(relativeError(valuesOf(steps.at(-1)!.params), expected)).toBeLessThanOrEqual(1e-5);

    disposeStep(steps.at(-1));
    optimizer.dispose();
    ours.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
