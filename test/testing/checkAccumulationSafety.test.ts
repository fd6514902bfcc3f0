import * as tf from '@tensorflow/tfjs';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BatchError } from '../../lib/errors/BatchError.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import * as losses from '../../lib/models/losses/index.js';
import type { Loss, Model } from '../../lib/models/types.js';
import { batchArbitrary } from '../../lib/testing/batchArbitrary.js';
import { batchFromValues } from '../../lib/testing/batchFromValues.js';
import { checkAccumulationSafety } from '../../lib/testing/checkAccumulationSafety.js';
import { paramsArbitrary } from '../../lib/testing/paramsArbitrary.js';
import { paramsFromValues } from '../../lib/testing/paramsFromValues.js';
import { splitArbitrary } from '../../lib/testing/splitArbitrary.js';
import { expectNoLeaks } from '../support/leaks.js';
import { mlp, randomValues } from '../support/fixtures.js';

/** The documented default tolerance. */
const TOLERANCE = 1e-3;

/** Labels each built-in loss expects, for n examples of k outputs. */
const labelsFor = (name: keyof typeof losses, n: number, k: number): tf.Tensor =>
  tf.tidy(() => {
    if (name === 'softmaxCrossEntropy') return tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % k), 'int32'), k).toFloat();
    if (name === 'sigmoidCrossEntropy') return tf.tensor2d(Array.from({ length: n * k }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [n, k]);
    return tf.tensor2d(randomValues(n * k, 9), [n, k]);
  });

const denseNet = (batchNorm: boolean) =>
  tf.sequential({
    layers: [
      tf.layers.dense({ name: 'hidden', inputShape: [5], units: 6, activation: 'tanh' }),
      ...(batchNorm ? [tf.layers.batchNormalization({ name: 'bn' })] : []),
      tf.layers.dense({ name: 'out', units: 3 }),
    ],
  });

const convNet = () =>
  tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ name: 'out', units: 3 }),
    ],
  });

/** tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel unless gradstream registers one. */
const canTrainConv = () => tf.getBackend() !== 'wasm' || tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;

/** Per-example squared error divided by the batch's own standard deviation of the predictions. */
const stdNormalisedLoss: Loss = (labels, predictions) =>
  tf.tidy(() => {
    const { variance } = tf.moments(predictions);
    return tf.div(tf.mean(tf.squaredDifference(labels, predictions), -1), tf.sqrt(tf.add(variance, 1e-6)));
  });

describe('checkAccumulationSafety', () => {
  for (const name of ['softmaxCrossEntropy', 'sigmoidCrossEntropy', 'meanSquaredError'] as const) {
    it(`says safe for an MLP adapted from Layers with ${name}, and leaks nothing`, async () => {
      const layers = denseNet(false);
      const model = fromLayersModel(layers);
      const batch = { xs: tf.tensor2d(randomValues(12 * 5, 3), [12, 5]), ys: labelsFor(name, 12, 3) };
      const report = await expectNoLeaks(() => checkAccumulationSafety(model, losses[name], batch));
      expect(report.safe).toBe(true);
      expect(report.tolerance).toBe(TOLERANCE);
      expect(report.worst).toBeLessThanOrEqual(TOLERANCE);
      expect(report.params.map((p) => p.name)).toEqual(['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias']);
      expect(report.splits.map((s) => s.kind)).toEqual(['even', 'uneven', 'single examples']);
      expect(report.splits[2]!.sizes).toHaveLength(12);
      expect(report.diverging).toEqual([]);
      expect(report.causes).toEqual([]);
      tf.dispose([batch.xs, batch.ys]);
      layers.dispose();
    });

    it(`says safe for a CNN with ${name}`, async (ctx) => {
      if (!canTrainConv()) return ctx.skip('no Conv2DBackpropFilter kernel on wasm');
      const layers = convNet();
      const batch = { xs: tf.tensor4d(randomValues(6 * 36, 5), [6, 6, 6, 1]), ys: labelsFor(name, 6, 3) };
      const report = await expectNoLeaks(() => checkAccumulationSafety(fromLayersModel(layers), losses[name], batch));
      expect(report.safe).toBe(true);
      expect(report.worst).toBeLessThanOrEqual(TOLERANCE);
      tf.dispose([batch.xs, batch.ys]);
      layers.dispose();
    });
  }

  it('says unsafe for a model with BatchNormalization in training mode, naming the layer, and restores its moving statistics', async () => {
    const layers = denseNet(true);
    const model = fromLayersModel(layers, { batchStatistics: 'per-micro-batch' });
    const batch = { xs: tf.tensor2d(randomValues(12 * 5, 4), [12, 5]), ys: labelsFor('softmaxCrossEntropy', 12, 3) };
    const moving = () => layers.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const before = moving();
    const report = await expectNoLeaks(() => checkAccumulationSafety(model, losses.softmaxCrossEntropy, batch));
    expect(report.safe).toBe(false);
    expect(report.worst).toBeGreaterThan(1e-2);
    expect(report.batchCoupledLayers).toEqual([{ name: 'bn', className: 'BatchNormalization' }]);
    expect(report.causes[0]).toMatch(/layer 'bn' \(BatchNormalization\) normalises each micro-batch/);
    expect(report.diverging).toContain('hidden/kernel');
    expect(report.diverging).toContain('bn/gamma');
    expect(moving()).toEqual(before);
    tf.dispose([batch.xs, batch.ys]);
    layers.dispose();
  });

  it('says unsafe for a loss that divides by the batch’s own standard deviation, naming the parameters', async () => {
    const model = mlp(4, 5, 2, 3);
    const batch = { xs: tf.tensor2d(randomValues(10 * 4, 6), [10, 4]), ys: tf.tensor2d(randomValues(10 * 2, 7), [10, 2]) };
    const report = await expectNoLeaks(() => checkAccumulationSafety(model, stdNormalisedLoss, batch));
    expect(report.safe).toBe(false);
    expect(report.diverging.length).toBeGreaterThan(0);
    expect(report.causes).toHaveLength(1);
    expect(report.causes[0]).toContain(`the gradient of ${report.diverging.join(', ')} depends on how the batch is split`);
    tf.dispose([batch.xs, batch.ys, ...Object.values(model.params)]);
  });

  it('reports a model that draws new random values per call as not deterministic', () => {
    const model = mlp(3, 4, 2, 1);
    const noisy: Model = { params: model.params, apply: (p, xs) => tf.tidy(() => tf.add(model.apply(p, xs), tf.randomNormal([xs.shape[0] as number, 2]))) };
    const batch = { xs: tf.tensor2d(randomValues(6 * 3, 2), [6, 3]), ys: tf.tensor2d(randomValues(6 * 2, 3), [6, 2]) };
    const report = checkAccumulationSafety(noisy, losses.meanSquaredError, batch);
    expect(report.safe).toBe(false);
    expect(report.nondeterminism).toBeGreaterThan(TOLERANCE);
    expect(report.causes.join('\n')).toMatch(/not deterministic/);
    tf.dispose([batch.xs, batch.ys, ...Object.values(model.params)]);
  });

  it('finds no false alarm over random small MLPs and splits at the documented tolerance', () => {
    const scenario = fc
      .record({ d: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }) })
      .chain(({ d, h, k }) =>
        fc.record({
          params: paramsArbitrary({ w1: [d, h], b1: [h], w2: [h, k], b2: [k] }, 1.5),
          batch: batchArbitrary({ xShape: [d], yShape: [k], minExamples: 2, maxExamples: 16 }),
          loss: fc.constantFrom('meanSquaredError' as const, 'sigmoidCrossEntropy' as const),
        }),
      )
      .chain((s) => splitArbitrary(s.batch.examples, { minParts: 2 }).map((sizes) => ({ ...s, sizes })));
    fc.assert(
      fc.property(scenario, ({ params: values, batch: data, loss, sizes }) => {
        const params = paramsFromValues(values);
        const model: Model = {
          params,
          apply: (p, xs) => tf.tidy(() => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(xs, p['w1']!), p['b1']!)), p['w2']!), p['b2']!)),
        };
        const batch = batchFromValues(data);
        try {
          const ys = loss === 'sigmoidCrossEntropy' ? tf.tidy(() => tf.step(batch.ys)) : batch.ys;
          const report = checkAccumulationSafety(model, losses[loss], { xs: batch.xs, ys }, { splits: [sizes] });
          if (ys !== batch.ys) ys.dispose();
          expect(report.worst, `split ${sizes.join(', ')}`).toBeLessThanOrEqual(TOLERANCE);
          expect(report.safe).toBe(true);
        } finally {
          tf.dispose([batch.xs, batch.ys, ...Object.values(params)]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('rejects a batch of one example and a split that does not cover the batch, naming the value', () => {
    const model = mlp(2, 2, 1, 1);
    const one = { xs: tf.zeros([1, 2]), ys: tf.zeros([1, 1]) };
    const four = { xs: tf.zeros([4, 2]), ys: tf.zeros([4, 1]) };
    expect(() => checkAccumulationSafety(model, losses.meanSquaredError, one)).toThrow(BatchError);
    expect(() => checkAccumulationSafety(model, losses.meanSquaredError, four, { splits: [[1, 2]] })).toThrow(ConfigError);
    expect(() => checkAccumulationSafety(model, losses.meanSquaredError, four, { splits: [[1, 2]] })).toThrow(/splits must be .* got \[1, 2\]/);
    expect(() => checkAccumulationSafety(model, losses.meanSquaredError, four, { tolerance: -1 })).toThrow(/tolerance must be a finite number >= 0, got -1/);
    tf.dispose([one.xs, one.ys, four.xs, four.ys, ...Object.values(model.params)]);
  });
});
