import * as tf from '@tensorflow/tfjs';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { assertAccumulationLaw } from '../../lib/testing/assertAccumulationLaw.js';
import { assertNoLeaksLaw } from '../../lib/testing/assertNoLeaksLaw.js';
import { assertNoTensorLeaks } from '../../lib/testing/assertNoTensorLeaks.js';
import { assertScheduleLaw } from '../../lib/testing/assertScheduleLaw.js';
import { LawViolationError } from '../../lib/testing/LawViolationError.js';
import type { Pipeline } from '../../lib/testing/types.js';
import { train } from '../../lib/train/train.js';
import { handLoop } from './handLoops.js';

/** The rejection of a promise, or a failure when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<LawViolationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the law should have failed').toBeInstanceOf(LawViolationError);
  return error as LawViolationError;
}

describe('law checks', () => {
  describe('on train itself and on a correct hand-written loop', () => {
    it('train keeps the accumulation law for any split', async () => {
      await assertAccumulationLaw(train);
    });

    it('train keeps the schedule law: count and schedule advance once per update', async () => {
      await assertScheduleLaw(train);
    });

    it('train leaks no tensor, whether the run completes, is unsubscribed or fails', async () => {
      await assertNoLeaksLaw(train);
    });

    it('a correct hand-written loop keeps the accumulation and schedule laws too', async () => {
      await assertAccumulationLaw(handLoop('exact'), { numRuns: 10 });
      await assertScheduleLaw(handLoop('exact'), { numRuns: 10 });
    });

    it('a pipeline that wraps train keeps the laws, with a user model adapted from Layers', async () => {
      const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tf.layers.dense({ units: 2 })] });
      const model = fromLayersModel(layers);
      const scaled: Pipeline = (options) => (batches) => batches.pipe(map((b) => b), train(options));
      const options = { model, loss: softmaxCrossEntropy, xShape: [3], yShape: [2], labels: 'one-hot' as const, numRuns: 8 };
      await assertAccumulationLaw(scaled, options);
      await assertNoLeaksLaw(scaled, options);
      layers.dispose();
    });
  });

  describe('on deliberately wrong pipelines', () => {
    it('a mean of micro-batch means fails the accumulation law, with the counterexample in the message', async () => {
      const error = await rejectionOf(assertAccumulationLaw(handLoop('mean-of-means'), { seed: 7 }));
      expect(error.law).toBe('accumulation');
      expect(error.message).toMatch(/^accumulation law violated: one update accumulated from any split/);
      expect(error.message).toMatch(/Counterexample: /);
      expect(error.message).toMatch(/micro-batches of [\d, ]+ examples made an update that differs from the full batch's by \S+ > tolerance 0.0001/);
      // The counterexample is the drawn batch and its split: uneven (an even split would be exact).
      const { sizes } = error.input as { sizes: number[] };
      expect(new Set(sizes).size).toBeGreaterThan(1);
    });

    it('an optimizer stepped per micro-batch keeps the accumulation law but fails the schedule law, with the counterexample', async () => {
      await assertAccumulationLaw(handLoop('update-per-micro-batch'), { numRuns: 10 });
      const error = await rejectionOf(assertScheduleLaw(handLoop('update-per-micro-batch'), { seed: 7 }));
      expect(error.law).toBe('schedule');
      expect(error.message).toMatch(/^schedule law violated: /);
      expect(error.message).toMatch(/Counterexample: /);
      expect(error.message).toMatch(/the schedule was asked about steps 0, 1(, \d+)*: 1(, \d+)* are not updates/);
      const { k } = error.input as { k: number };
      expect(k).toBeGreaterThan(1);
    });

    it('a pipeline that copies each batch and frees only the copy fails the no-leaks law', async () => {
      const leaky: Pipeline = (options) => (batches) => batches.pipe(map((b) => ({ xs: b.xs.clone(), ys: b.ys })), train(options));
      const error = await rejectionOf(assertNoLeaksLaw(leaky, { seed: 7 }));
      expect(error.law).toBe('no-leaks');
      expect(error.message).toMatch(/Counterexample: /);
      expect(error.message).toMatch(/\d+ tensor\(s\) left alive after a run that/);
    });
  });

  describe('assertNoTensorLeaks', () => {
    it('returns what a clean body returns, synchronous or not', async () => {
      expect(assertNoTensorLeaks(() => tf.tidy(() => tf.ones([2]).sum().dataSync()[0]))).toBe(2);
      await expect(assertNoTensorLeaks(async () => 3)).resolves.toBe(3);
      const kept = assertNoTensorLeaks(() => tf.ones([1]), 1);
      kept.dispose();
    });

    it('throws a LawViolationError counting the tensors a body leaves alive', async () => {
      const leaked: tf.Tensor[] = [];
      expect(() => assertNoTensorLeaks(() => void leaked.push(tf.ones([1])))).toThrow(/1 tensor\(s\) left alive where 0 were expected/);
      await expect(assertNoTensorLeaks(async () => void leaked.push(tf.ones([1]), tf.ones([1])))).rejects.toThrow(/2 tensor\(s\) left alive/);
      tf.dispose(leaked);
    });

    it('passes on the error of a clean body, and reports a leak first with the body’s error', () => {
      expect(() => assertNoTensorLeaks(() => { throw new Error('boom'); })).toThrow('boom');
      const leaked: tf.Tensor[] = [];
      expect(() => assertNoTensorLeaks(() => { leaked.push(tf.ones([1])); throw new Error('boom'); })).toThrow(/left alive .*the body also threw: boom/);
      tf.dispose(leaked);
    });
  });

  it('rejects invalid options with a ConfigError naming the law and the field', async () => {
    await expect(assertAccumulationLaw(train, { tolerance: -1 })).rejects.toThrow(/assertAccumulationLaw: tolerance must be a finite number >= 0, got -1/);
    await expect(assertScheduleLaw(train, { maxUpdates: 0 })).rejects.toThrow(ConfigError);
    const model = { params: {}, apply: (_: unknown, xs: tf.Tensor) => xs };
    await expect(assertNoLeaksLaw(train, { model })).rejects.toThrow(/assertNoLeaksLaw: xShape must be one example's input shape/);
  });
});
