import * as tf from '@tensorflow/tfjs';
import { from, map, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { NonFiniteGradientError } from '../../lib/errors/NonFiniteGradientError.js';
import type { Model } from '../../lib/models/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { batchData, collect, disposeStep, linear, mse, toBatch } from '../support/fixtures.js';

const [D, K] = [3, 2];

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
