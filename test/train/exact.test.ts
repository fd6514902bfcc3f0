import * as tf from '@tensorflow/tfjs';
import { fc } from '@fast-check/vitest';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Loss } from '../../lib/models/types.js';
import { adam } from '../../lib/optim/adam.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import { batchArbitrary } from '../../lib/testing/batchArbitrary.js';
import { splitArbitrary } from '../../lib/testing/splitArbitrary.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { collect, disposeStep, mlp, mse, relativeError, splitBatch, toBatch, valuesOf } from '../support/fixtures.js';

/** A loss over "tokens": ys holds k targets then k 0/1 masks; only masked-in items count. */
const maskedLoss: Loss = (labels, predictions) => {
  const k = predictions.shape[1] as number;
  const targets = labels.slice([0, 0], [-1, k]);
  const mask = labels.slice([0, k], [-1, k]);
  return {
    sum: tf.sum(tf.mul(mask, tf.squaredDifference(targets, predictions))) as tf.Scalar,
    count: tf.sum(mask) as tf.Scalar,
  };
};

/** Batches of 2–24 examples of 1–5 inputs and 1–3 outputs, and any split of each into up to 7 micro-batches. */
const scenario = fc
  .record({ d: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 1, max: 3 }), seed: fc.nat(1000) })
  .chain((s) =>
    batchArbitrary({ xShape: [s.d], yShape: [s.k], minExamples: 2, maxExamples: 24 }).chain((data) =>
      splitArbitrary(data.examples, { maxParts: Math.min(data.examples, 7) }).map((sizes) => ({ ...s, n: data.examples, data, sizes })),
    ),
  );

async function oneUpdate<S>(
  batches: ReturnType<typeof splitBatch>,
  model: ReturnType<typeof mlp>,
  loss: Loss,
  optimizer: GradientTransformation<S>,
): Promise<TrainStep<S>> {
  const steps = await collect(from(batches).pipe(train({ model, loss, optimizer, accumulationSteps: batches.length })));
  expect(steps).toHaveLength(1);
  return steps[0]!;
}

describe('train is exact', () => {
  it('k accumulated micro-batches equal one full batch, for any split, with per-example losses (sgd and adam)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.constantFrom('sgd', 'adam'), async ({ n, d, k, seed, data, sizes }, which) => {
        const before = tf.memory().numTensors;
        const model = mlp(d, 4, k, seed);
        const optimizer = () => (which === 'sgd' ? sgd({ learningRate: 0.5 }) : adam({ learningRate: 0.01 }));
        const whole = await oneUpdate([toBatch(data)], model, mse, optimizer());
        const split = await oneUpdate(splitBatch(data, sizes), model, mse, optimizer());
        expect(split.examples).toBe(n);
        expect(relativeError(valuesOf(split.params), valuesOf(whole.params))).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(split.loss - whole.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(whole.loss)));
        disposeStep(whole);
        disposeStep(split);
        tf.dispose(Object.values(model.params));
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: 30 },
    );
  });

  it('k accumulated micro-batches equal one full batch with { sum, count } losses whose counts differ', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, d, k, seed, data: base, sizes }) => {
        const before = tf.memory().numTensors;
        const model = mlp(d, 4, k, seed);
        // Masks: the first item of each example is real, the others real with probability ~1/2.
        const ys = new Float32Array(n * 2 * k);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < k; j++) {
            ys[i * 2 * k + j] = base.ys[i * k + j]!;
            ys[i * 2 * k + k + j] = j === 0 || base.xs[(i * d + j) % base.xs.length]! > 0 ? 1 : 0;
          }
        const data = { ...base, ys, yShape: [n, 2 * k] };
        const whole = await oneUpdate([toBatch(data)], model, maskedLoss, sgd({ learningRate: 0.5 }));
        const split = await oneUpdate(splitBatch(data, sizes), model, maskedLoss, sgd({ learningRate: 0.5 }));
        expect(relativeError(valuesOf(split.params), valuesOf(whole.params))).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(split.loss - whole.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(whole.loss)));
        disposeStep(whole);
        disposeStep(split);
        tf.dispose(Object.values(model.params));
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: 30 },
    );
  });

  it('weights micro-batches by their item counts, not equally: hand-worked numbers', async () => {
    // One parameter w = 0, prediction w for every item, target t: the loss sum is Σ (w − t)², whose
    // gradient at 0 is −2 Σ t. Micro-batch A: one item, t = 4. Micro-batch B: three items, t = 0.
    // Over all 4 items the mean gradient is −2·4/4 = −2; a mean of micro-batch means would be
    // (−8 + 0) / 2 = −4. With sgd(lr 1), w becomes 2, not 4.
    const w = tf.scalar(0);
    const model = { params: { w }, apply: (p: Record<string, tf.Tensor>, xs: tf.Tensor) => tf.mul(tf.onesLike(xs), p['w']!) };
    const batches = [
      { xs: tf.ones([1]), ys: tf.tensor1d([4]) },
      { xs: tf.ones([3]), ys: tf.tensor1d([0, 0, 0]) },
    ];
    const loss: Loss = (labels, predictions) => tf.squaredDifference(labels, predictions);
    const [step] = await collect(from(batches).pipe(train({ model, loss, optimizer: sgd({ learningRate: 1 }), accumulationSteps: 2 })));
    expect(step!.params['w']!.dataSync()[0]).toBeCloseTo(2, 6);
    expect(step!.loss).toBeCloseTo(16 / 4, 6);
    expect(step!.gradNorm).toBeCloseTo(2, 6);
    disposeStep(step!);
    w.dispose();
  });
});
