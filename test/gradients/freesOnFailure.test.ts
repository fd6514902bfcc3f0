import * as tf from '@tensorflow/tfjs';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Model } from '../../lib/models/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { batchData, collect, linear, mse, toBatch } from '../support/fixtures.js';

const [D, K] = [3, 2];

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
