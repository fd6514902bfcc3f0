import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accumulatingOptimizer } from '../../lib/fit/accumulatingOptimizer.js';
import { relativeError } from '../support/fixtures.js';
import { examples, mlpModel, tensorsOf, weightsOf, type Examples } from './support.js';

/** A tf.data dataset of `{ xs, ys }` batches of `batchSize`, made from plain arrays (no tensor until read). */
function dataset(data: Examples, batchSize: number): tf.data.Dataset<tf.TensorContainer> {
  const width = data.xs.length / data.count;
  const rows = Array.from({ length: data.count }, (_, i) => ({
    xs: Array.from(data.xs.subarray(i * width, (i + 1) * width)),
    ys: Array.from(data.ys.subarray(i * 3, (i + 1) * 3)),
  }));
  return tf.data.array(rows).batch(batchSize);
}

describe('accumulatingOptimizer inside model.fitDataset', () => {
  it.each([
    ['sgd(0.15)', () => tf.train.sgd(0.15)],
    ['adam(1e-3)', () => tf.train.adam(1e-3)],
  ] as const)('over tf.data batches of 32 with %s, 4 at a time, gives the params of fit at batch 128', async (_, inner) => {
    const data = examples(1000, [8]);
    const before = tf.memory().numTensors;
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(inner(), { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.fitDataset(dataset(data, 32), { epochs: 2, verbose: 0 });

    const twin = mlpModel();
    const plain = inner();
    twin.compile({ optimizer: plain, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data);
    await twin.fit(xs, ys, { batchSize: 128, epochs: 2, shuffle: false, verbose: 0 });

    expect(optimizer.iterations).toBe(16);
    expect(relativeError(weightsOf(model), weightsOf(twin))).toBeLessThan(1e-5);
    tf.dispose([xs, ys]);
    [model, twin, optimizer, plain].forEach((d) => d.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor over a 20-epoch fitDataset: the live count moves only by the open window, and returns on dispose', async () => {
    // 200 examples: 7 batches an epoch (the last of 8), so with steps 4 the window left open at an epoch's
    // end holds 3, 2, 1, 0, 3, ... batches, carried over. Adam's state appears with the first update.
    const data = examples(200, [8]);
    const model = mlpModel();
    const variables = model.trainableWeights.length;
    const before = tf.memory().numTensors;
    const optimizer = accumulatingOptimizer(tf.train.adam(1e-3), { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const adjusted: number[] = [];
    const open: number[] = [];
    await model.fitDataset(dataset(data, 32), {
      epochs: 20,
      verbose: 0,
      callbacks: {
        onEpochEnd: async () => {
          open.push(optimizer.window.batches);
          // What the optimizer owns by design: one sum per variable while a window is open.
          const sums = optimizer.window.batches > 0 ? variables : 0;
          adjusted.push(tf.memory().numTensors - before - sums);
        },
      },
    });
    expect(open.slice(0, 5)).toEqual([3, 2, 1, 0, 3]);
    expect(new Set(adjusted).size).toBe(1); // flat from the first epoch to the twentieth
    expect(adjusted[0]).toBe(2 * variables + 2); // Adam's m and v per variable, and its β^t accumulators
    expect(optimizer.iterations).toBe(Math.floor((20 * 7) / 4));
    model.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before - variables); // the model's own weights are gone too
  });

  it("epochEnd: 'apply' closes each epoch's open window: 200 examples per epoch train as fit at batch 128 (windows of 128 and 72)", async () => {
    const data = examples(200, [8]);
    const before = tf.memory().numTensors;
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.15), { steps: 4, epochEnd: 'apply' });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.fitDataset(dataset(data, 32), { epochs: 3, verbose: 0 });

    const twin = mlpModel();
    const plain = tf.train.sgd(0.15);
    twin.compile({ optimizer: plain, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data);
    await twin.fit(xs, ys, { batchSize: 128, epochs: 3, shuffle: false, verbose: 0 });

    expect(optimizer.iterations).toBe(6);
    expect(optimizer.window.batches).toBe(0);
    expect(relativeError(weightsOf(model), weightsOf(twin))).toBeLessThan(1e-5);
    tf.dispose([xs, ys]);
    [model, twin, optimizer, plain].forEach((d) => d.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it("epochEnd: 'carry' (the default) keeps the open window into the next epoch, and flush() applies it", async () => {
    const data = examples(200, [8]);
    const before = tf.memory().numTensors;
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.15), { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.fitDataset(dataset(data, 32), { epochs: 2, verbose: 0 });
    // 14 batches: updates of [32×4] and [32, 32, 8 | 32] and [32×4]; open: [32, 8].
    expect(optimizer.iterations).toBe(3);
    expect([optimizer.window.batches, optimizer.window.examples]).toEqual([2, 40]);
    expect(optimizer.flush()).toBe(true);
    expect(optimizer.iterations).toBe(4);
    expect(optimizer.flush()).toBe(false);
    model.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
