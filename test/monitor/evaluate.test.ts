import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fc, test as prop } from '@fast-check/vitest';
import type { Examples } from '../../lib/data/types.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import type { Loss, Model } from '../../lib/models/types.js';
import { evaluate } from '../../lib/monitor/evaluate.js';
import { expectNoLeaksSync } from '../support/leaks.js';

// Logits = xs · W: with W the identity, the predicted class is the index of the larger input.
const linear: Model = { params: {}, apply: (params, xs) => tf.matMul(xs, params['w']!) };
const crossEntropy: Loss = (labels, logits) =>
  tf.losses.softmaxCrossEntropy(labels, logits, undefined, undefined, tf.Reduction.NONE);

// Inputs [1,0] [0,1] [1,0] [0,1] predict classes 0 1 0 1; labels are 0 1 1 1: 3 of 4 right.
const examples: Examples = {
  count: 4,
  features: 2,
  classes: 2,
  images: new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]),
  labels: new Float32Array([1, 0, 0, 1, 0, 1, 0, 1]),
};
// Logits (1, 0): -log softmax is log(1 + e^-1) for the larger class and log(1 + e) for the other.
const expectedLoss = (3 * Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.E)) / 4;

describe('evaluate', () => {
  it('gives the mean loss and the accuracy (hand-worked: 3 of 4 right)', () => {
    const w = tf.eye(2);
    const result = expectNoLeaksSync(() => evaluate({ model: linear, loss: crossEntropy, examples })({ w }));
    w.dispose();
    expect(result.testAccuracy).toBe(0.75);
    expect(result.testLoss).toBeCloseTo(expectedLoss, 5);
  });

  prop.prop([fc.integer({ min: 1, max: 6 })])('gives the same scores for any batch size', (batchSize) => {
    const w = tf.eye(2);
    const result = expectNoLeaksSync(() => evaluate({ model: linear, loss: crossEntropy, examples, batchSize })({ w }));
    w.dispose();
    expect(result.testAccuracy).toBe(0.75);
    expect(result.testLoss).toBeCloseTo(expectedLoss, 5);
  });

  it('accepts a { sum, count } loss and divides the sum of sums by the sum of counts', () => {
    const summed: Loss = (labels, logits) => ({ sum: (crossEntropy(labels, logits) as tf.Tensor).sum() as tf.Scalar, count: tf.scalar(labels.shape[0]!) });
    const w = tf.eye(2);
    const result = expectNoLeaksSync(() => evaluate({ model: linear, loss: summed, examples, batchSize: 3 })({ w }));
    w.dispose();
    expect(result.testLoss).toBeCloseTo(expectedLoss, 5);
  });

  it('neither disposes nor keeps the parameters it scores', () => {
    const w = tf.eye(2);
    evaluate({ model: linear, loss: crossEntropy, examples })({ w });
    expect(w.isDisposed).toBe(false);
    w.dispose();
  });

  it('rejects batchSize 0 before anything runs', () => {
    expect(() => evaluate({ model: linear, loss: crossEntropy, examples, batchSize: 0 })).toThrow(
      new ConfigError('evaluate', 'batchSize', 0, 'an integer >= 1'),
    );
  });
});
