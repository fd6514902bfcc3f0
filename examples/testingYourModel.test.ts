// Testing your own model, loss and pipeline with gradstream/testing, in vitest (any runner works: the
// checks throw on failure). Run with `npx vitest run examples/testingYourModel.test.ts`.
import * as tf from '@tensorflow/tfjs';
import { map } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train, type Loss, type Model } from 'gradstream';
import {
  assertAccumulationLaw,
  assertNoLeaksLaw,
  assertNoTensorLeaks,
  assertScheduleLaw,
  checkAccumulationSafety,
  type Pipeline,
} from 'gradstream/testing';

// A custom model: a residual tanh block over 4 features, then 3 class scores.
const myModel = (): Model => ({
  params: {
    w: tf.randomNormal([4, 4], 0, 0.5, 'float32', 1),
    v: tf.randomNormal([4, 3], 0, 0.5, 'float32', 2),
    c: tf.zeros([3]),
  },
  apply: (p, xs) => tf.tidy(() => tf.add(tf.matMul(tf.add(xs, tf.tanh(tf.matMul(xs, p['w']!))), p['v']!), p['c']!)),
});

// A custom loss: label-smoothed softmax cross-entropy, one value per example.
const smoothed: Loss = (labels, logits) =>
  tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.add(tf.mul(labels, 0.9), 0.1 / 3), tf.logSoftmax(logits)), -1)));

// My training pipeline: inputs clipped to [-3, 3], then gradstream's train.
const myPipeline: Pipeline = (options) => (batches) =>
  batches.pipe(
    map((b) => {
      const xs = tf.clipByValue(b.xs, -3, 3);
      b.xs.dispose();
      return { xs, ys: b.ys };
    }),
    train(options),
  );

const batch = () =>
  tf.tidy(() => ({
    xs: tf.randomNormal([16, 4], 0, 1, 'float32', 3),
    ys: tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3).toFloat(),
  }));

describe('my model, loss and pipeline', () => {
  // Made once the backend is ready; the laws train from its params and never dispose them.
  let model: Model;
  let mine: Parameters<typeof assertAccumulationLaw>[1];
  beforeAll(() => {
    model = myModel();
    mine = { model, loss: smoothed, xShape: [4], yShape: [3], labels: 'one-hot', numRuns: 10 };
  });
  afterAll(() => tf.dispose(Object.values(model.params)));

  it('are safe to accumulate: micro-batch gradients add up to the full batch gradient', () => {
    const { xs, ys } = batch();
    const report = assertNoTensorLeaks(() => checkAccumulationSafety(model, smoothed, { xs, ys }));
    expect(report.safe, report.causes.join('; ')).toBe(true);
    tf.dispose([xs, ys]);
  });

  it('would not be, with a loss normalised by the batch: the check names the parameters', () => {
    const batchNormalised: Loss = (labels, logits) => tf.tidy(() => tf.div(smoothed(labels, logits) as tf.Tensor, tf.mean(tf.abs(logits))));
    const { xs, ys } = batch();
    const report = checkAccumulationSafety(model, batchNormalised, { xs, ys });
    expect(report.safe).toBe(false);
    expect(report.diverging).toEqual(expect.arrayContaining(['v']));
    tf.dispose([xs, ys]);
  });

  it('keeps the accumulation law: any split of a batch gives the full batch update', async () => {
    await assertAccumulationLaw(myPipeline, mine);
  });

  it('advances the schedule once per update', async () => {
    await assertScheduleLaw(myPipeline, mine);
  });

  it('leaks no tensor, however a run ends', async () => {
    await assertNoLeaksLaw(myPipeline, mine);
  });
});
