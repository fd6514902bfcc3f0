// Regressions for defects an independent review found: each test failed before its fix.
import * as tf from '@tensorflow/tfjs';
import { from, map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accumulate } from '../../lib/accumulate/accumulate.js';
import { BatchError } from '../../lib/errors/BatchError.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { NonFiniteGradientError } from '../../lib/errors/NonFiniteGradientError.js';
import { ParamMismatchError } from '../../lib/errors/ParamMismatchError.js';
import type { GradientSample } from '../../lib/gradients/types.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import type { Model } from '../../lib/models/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { batchData, collect, disposeStep, linear, mse, toBatch } from '../support/fixtures.js';

const [D, K] = [3, 2];

const sample = (g: number, count = 1): GradientSample => ({ grads: { w: tf.scalar(g) }, loss: tf.scalar(0), count, examples: 1 });

describe('train stops a synchronous source as soon as the stream ends', () => {
  const counting = () => {
    const base = linear(D, K);
    let applied = 0;
    let made = 0;
    const model: Model = { params: base.params, apply: (p, xs) => (applied++, base.apply(p, xs)) };
    const source = (first: () => ReturnType<typeof toBatch>) =>
      from(Array.from({ length: 20 }, (_, i) => i)).pipe(map((i) => (made++, i === 0 ? first() : toBatch(batchData(4, D, K, i)))));
    return { model, source, base, stats: () => ({ applied, made }) };
  };

  it.each([undefined, 2])('after an error (microBatchSize %s): no batch is made or differentiated past the failure', async (microBatchSize) => {
    const { model, source, base, stats } = counting();
    const before = tf.memory().numTensors;
    const nan = () => ({ xs: tf.fill([4, D], Number.NaN), ys: tf.zeros([4, K]) });
    const error = await collect(
      source(nan).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1, ...(microBatchSize ? { microBatchSize } : {}) })),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect(stats()).toEqual({ applied: 1, made: 1 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(base.params));
  });

  it('after take(1) downstream: the source stops after the first update', async () => {
    const { model, source, base, stats } = counting();
    const steps = await collect(source(() => toBatch(batchData(4, D, K, 0))).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 }), take(1)));
    expect(stats()).toEqual({ applied: 2, made: 2 });
    disposeStep(steps[0]);
    tf.dispose(Object.values(base.params));
  });
});

describe('accumulate frees what it is given, whatever fails', () => {
  it('frees the sample when the accumulation schedule throws', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(
      from([sample(1)]).pipe(
        accumulate(() => {
          throw new Error('boom');
        }),
      ),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('treats a NaN count as non-finite data, under the policy', async () => {
    const before = tf.memory().numTensors;
    const samples = [sample(1, Number.NaN), sample(2)];
    const error = await collect(from(samples).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as Error).message).toBe('non-finite count in micro-batch 1 of update 1');
    tf.dispose([samples[1]!.loss, samples[1]!.grads['w']!]); // never sent: the failure stopped the source
    const skipped = await collect(from([sample(1, Number.NaN), sample(2)]).pipe(accumulate(2, { nonFinite: 'skip-micro-batch' })));
    expect(skipped.map((w) => (w.skipped ? 'skipped' : [w.count, w.grads['w']!.dataSync()[0]]))).toEqual([[1, 2]]);
    skipped.forEach((w) => w.skipped || tf.dispose(Object.values(w.grads)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a negative count with a BatchError naming it', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(from([sample(1, -1)]).pipe(accumulate(1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchError);
    expect((error as BatchError).input).toBe(-1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('catches finite samples whose sum overflows to infinity', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(from([sample(3e38), sample(3e38)]).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as Error).message).toBe("non-finite accumulated gradient of 'w' in update 1");
    const dropped = await collect(from([sample(3e38), sample(3e38)]).pipe(accumulate(2, { nonFinite: 'skip-update' })));
    expect(dropped.map((w) => w.skipped)).toEqual([true]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gradientSample frees the forward pass when the backward pass fails', () => {
  it.each([
    ['per-example', mse],
    ['{ sum, count }', (labels: tf.Tensor, predictions: tf.Tensor) => ({ sum: tf.sum(tf.squaredDifference(labels, predictions)) as tf.Scalar, count: tf.scalar(6) })],
  ] as const)('with a %s loss and an op that has no gradient', async (_, loss) => {
    const base = linear(D, K);
    // topk has no registered gradient: the forward pass succeeds, the backward pass throws.
    const model: Model = { params: base.params, apply: (p, xs) => tf.topk(base.apply(p, xs), K).values };
    const before = tf.memory().numTensors;
    const error = await collect(from([toBatch(batchData(3, D, K, 1))]).pipe(train({ model, loss, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 }))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(base.params));
  });
});

describe('fromLayersModel', () => {
  const dense = (extra: Record<string, unknown> = {}) =>
    tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'ones', ...extra })] });

  it('leaves the layers reading their variables when apply is given a map with a missing weight', () => {
    const layers = dense();
    const model = fromLayersModel(layers);
    const [kernel] = Object.keys(model.params);
    const xs = tf.ones([1, 2]);
    tf.tidy(() => {
      expect(() => model.apply({ [kernel!]: tf.zeros([2, 1]) }, xs)).toThrow(ParamMismatchError);
      // The variables (kernel of ones) are what predict uses, not the zeros given above.
      expect((layers.predict(xs) as tf.Tensor).dataSync()[0]).toBe(2);
    });
    xs.dispose();
    layers.dispose();
  });

  it('leaves a weight reading what it read before the call, so calls can nest', () => {
    const layers = dense({ useBias: false });
    const model = fromLayersModel(layers);
    const [kernel] = Object.keys(model.params);
    const weight = layers.trainableWeights[0]!;
    const xs = tf.ones([1, 2]);
    tf.tidy(() => {
      // An enclosing call has the weight reading twos; a nested call with threes must hand them back.
      const twos = tf.fill([2, 1], 2);
      Object.defineProperty(weight, 'read', { value: () => twos, configurable: true, writable: true });
      expect(model.apply({ [kernel!]: tf.fill([2, 1], 3) }, xs).dataSync()[0]).toBe(6);
      expect(weight.read()).toBe(twos);
      delete (weight as { read?: unknown }).read;
      expect((layers.predict(xs) as tf.Tensor).dataSync()[0]).toBe(2); // the variable: ones
    });
    xs.dispose();
    layers.dispose();
  });

  it('refuses a model with a layer regularizer, rather than training without it', () => {
    const layers = dense({ kernelRegularizer: tf.regularizers.l2({ l2: 10 }) });
    expect(() => fromLayersModel(layers)).toThrow(ConfigError);
    expect(() => fromLayersModel(layers)).toThrow(/kernelRegularizer must be absent/);
    layers.dispose();
  });
});
