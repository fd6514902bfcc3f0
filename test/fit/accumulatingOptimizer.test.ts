import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accumulatingOptimizer } from '../../lib/fit/accumulatingOptimizer.js';
import { relativeError } from '../support/fixtures.js';
import { convModel, examples, mlpModel, tensorsOf, weightsOf, type Examples } from './support.js';

type Build = (seed?: number) => tf.Sequential;

/** Fits a fresh model built by `build` on `data` and returns its weights; frees everything it made. */
async function fitWeights(
  build: Build,
  data: Examples,
  optimizer: tf.Optimizer,
  args: { batchSize: number; epochs?: number },
): Promise<Record<string, Float32Array>> {
  const model = build();
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const { xs, ys } = tensorsOf(data);
  await model.fit(xs, ys, { batchSize: args.batchSize, epochs: args.epochs ?? 1, shuffle: false, verbose: 0 });
  const weights = weightsOf(model);
  tf.dispose([xs, ys]);
  model.dispose();
  optimizer.dispose();
  return weights;
}

const nets: ReadonlyArray<readonly [string, Build, ReadonlyArray<number>]> = [
  ['an MLP', mlpModel, [8]],
  ['a conv net', convModel, [6, 6, 1]],
];
const inners: ReadonlyArray<readonly [string, () => tf.Optimizer]> = [
  ['sgd(0.15)', () => tf.train.sgd(0.15)],
  ['adam(1e-3)', () => tf.train.adam(1e-3)],
];

describe('accumulatingOptimizer inside model.fit', () => {
  describe.each(nets)('%s', (_, build, inputShape) => {
    it.each(inners)(
      'fit at batch 32 with %s accumulated 4 at a time gives the params of fit at batch 128, over 1,000 examples and 2 epochs',
      async (__, inner) => {
        const data = examples(1000, inputShape);
        const before = tf.memory().numTensors;
        const accumulated = await fitWeights(build, data, accumulatingOptimizer(inner(), { steps: 4 }), { batchSize: 32, epochs: 2 });
        const full = await fitWeights(build, data, inner(), { batchSize: 128, epochs: 2 });
        const startModel = build(); // the shared starting point, to show that training moved the params
        const start = weightsOf(startModel);
        startModel.dispose();
        expect(relativeError(accumulated, full)).toBeLessThan(1e-5);
        expect(relativeError(start, full)).toBeGreaterThan(1e-3);
        // Only this test's own tensors are counted: tf.disposeVariables() would also free other files' models.
        expect(tf.memory().numTensors).toBe(before);
      },
    );
  });

  it("advances Adam's step count and bias correction once per update, not once per batch", async () => {
    const data = examples(1024, [8]);
    const inner = tf.train.adam(1e-3);
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(inner, { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data);
    await model.fit(xs, ys, { batchSize: 32, shuffle: false, verbose: 0 });
    // 32 batches, 8 updates. tfjs's Adam keeps β^(t+1) after t updates, for the bias correction of the next.
    const { accBeta1, accBeta2 } = inner as unknown as { accBeta1: tf.Scalar; accBeta2: tf.Scalar };
    expect(inner.iterations).toBe(8);
    expect(optimizer.iterations).toBe(8);
    expect(accBeta1.dataSync()[0]).toBeCloseTo(0.9 ** 9, 6);
    expect(accBeta2.dataSync()[0]).toBeCloseTo(0.999 ** 9, 6);
    expect(accBeta1.dataSync()[0]).not.toBeCloseTo(0.9 ** 33, 3); // what a per-batch advance would give
    tf.dispose([xs, ys]);
    model.dispose();
    optimizer.dispose();
  });
});

/** The mean loss of `model` on examples [start, end), as model.fit computes it (training mode). */
const meanLoss = (model: tf.LayersModel, data: Examples, start: number, end: number) => (): tf.Scalar => {
  const { xs, ys } = tensorsOf(data, start, end);
  return tf.mean(tf.metrics.categoricalCrossentropy(ys, model.apply(xs, { training: true }) as tf.Tensor)) as tf.Scalar;
};

/** The change of every weight from `from` to `to`. */
const delta = (to: Record<string, Float32Array>, from: Record<string, Float32Array>): Record<string, Float32Array> =>
  Object.fromEntries(Object.entries(to).map(([k, v]) => [k, v.map((x, i) => x - from[k]![i]!)]));

describe('accumulatingOptimizer with an uneven last batch (1,000 examples, batch 32, steps 4)', () => {
  // 1,000 = 31 × 32 + 8: update 8 holds batches 29 to 32, of 32, 32, 32 and 8 examples (104 in all).
  const data = examples(1000, [8]);
  const lastWindow = [[896, 928], [928, 960], [960, 992], [992, 1000]] as const;

  /** A model at the params after the first 7 updates (fit at batch 128 on the first 896 examples). */
  async function afterSevenUpdates(): Promise<tf.Sequential> {
    const model = mlpModel();
    const sgd = tf.train.sgd(0.15);
    model.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data, 0, 896);
    await model.fit(xs, ys, { batchSize: 128, shuffle: false, verbose: 0 });
    tf.dispose([xs, ys]);
    sgd.dispose();
    return model;
  }

  /** The change update 8 makes when the last window is fed by hand to `optimizer`, reporting sizes or not. */
  async function lastUpdateByHand(reportSizes: boolean): Promise<Record<string, Float32Array>> {
    const model = await afterSevenUpdates();
    const start = weightsOf(model);
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.15), { steps: 4 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    for (const [from, to] of lastWindow) {
      if (reportSizes) optimizer.reportBatchSize(to - from);
      optimizer.minimize(meanLoss(model, data, from, to), false, variables);
    }
    const change = delta(weightsOf(model), start);
    model.dispose();
    optimizer.dispose();
    return change;
  }

  /** The change of the full-window update: one step of sgd on the mean gradient of all 104 examples. */
  async function fullWindowUpdate(): Promise<Record<string, Float32Array>> {
    const model = await afterSevenUpdates();
    const start = weightsOf(model);
    const sgd = tf.train.sgd(0.15);
    sgd.minimize(meanLoss(model, data, 896, 1000), false, model.trainableWeights.map((w) => w.read() as tf.Variable));
    const change = delta(weightsOf(model), start);
    model.dispose();
    sgd.dispose();
    return change;
  }

  it('in model.fit, the update holding the 8-example batch is the full-window update, weighted by size', async () => {
    const before = tf.memory().numTensors;
    // fit every batch, then read update 8's change against the params fit reached after update 7.
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.15), { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data);
    let afterSeven: Record<string, Float32Array> = {};
    const seen: number[] = [];
    await model.fit(xs, ys, {
      batchSize: 32,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (batch) => {
          seen.push(optimizer.window.examples);
          if (batch === 27) afterSeven = weightsOf(model); // update 7 closed with batch 28
        },
      },
    });
    const update8 = delta(weightsOf(model), afterSeven);
    const full = await fullWindowUpdate();
    expect(seen.slice(28)).toEqual([32, 64, 96, 0]); // the window counts examples, and closes with the 8-example batch
    expect(optimizer.iterations).toBe(8);
    expect(relativeError(update8, full)).toBeLessThan(1e-5);
    tf.dispose([xs, ys]);
    model.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fed by hand with reportBatchSize, the update is the full-window update too', async () => {
    expect(relativeError(await lastUpdateByHand(true), await fullWindowUpdate())).toBeLessThan(1e-5);
  });

  it('an unweighted mean of the four batch gradients (what an unsized window gives) misses it by far', async () => {
    const unweighted = await lastUpdateByHand(false);
    const full = await fullWindowUpdate();
    // By hand: the unweighted mean counts the 8 examples as 26 (104 / 4): the update differs at the percent level.
    expect(relativeError(unweighted, full)).toBeGreaterThan(1e-2);
  });
});

describe('accumulatingOptimizer memory', () => {
  /** The most tensor bytes alive at any batch end of one epoch of fit at batch 32 with the given steps. */
  async function peakBytes(steps: number): Promise<number> {
    const data = examples(1024, [8]);
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.1), { steps });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data);
    let peak = 0;
    await model.fit(xs, ys, {
      batchSize: 32,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: async () => void (peak = Math.max(peak, tf.memory().numBytes)) },
    });
    tf.dispose([xs, ys]);
    model.dispose();
    optimizer.dispose();
    return peak;
  }

  it('holds one running sum per variable whatever steps is: the same peak bytes for steps 2 and 32', async () => {
    const [two, thirtyTwo] = [await peakBytes(2), await peakBytes(32)];
    expect(thirtyTwo).toBe(two);
  });
});
