import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adagrad } from '../../lib/optim/adagrad.js';
import { adam } from '../../lib/optim/adam.js';
import { rmsprop } from '../../lib/optim/rmsprop.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import { expectNoLeaks } from '../support/leaks.js';
import { lcg, maxRelativeError, runOptimizer, runTfOptimizer } from './support.js';

const STEPS = 20;
// See maxRelativeError: below |p| = 0.1 the error is measured against 0.1, the scale of the parameters.
const FLOOR = 0.1;
const TOLERANCE = 1e-6;

const params0 = (() => {
  const r = lcg(7);
  return {
    w: [0, 1, 2].map(() => [r(), r(), r(), r()]),
    b: [r(), r(), r(), r()],
  };
})();

const gradients = (() => {
  const r = lcg(42);
  const all = Array.from({ length: STEPS }, () => ({
    w: [0, 1, 2].map(() => [r(), r(), r(), r()].map((x) => 2 * x)),
    b: [r(), r(), r(), r()],
  }));
  return (step: number) => all[step] as (typeof all)[number];
})();

const parity = async <S>(ours: () => GradientTransformation<S>, theirs: () => tf.Optimizer) => {
  const a = await expectNoLeaks(() => runOptimizer(ours(), params0, gradients, STEPS));
  // Not leak-checked: MomentumOptimizer.dispose() (tfjs 4.22) forgets the learning-rate scalar of its parent.
  const b = runTfOptimizer(theirs, params0, gradients, STEPS);
  {
    expect(maxRelativeError(a, b, FLOOR)).toBeLessThanOrEqual(TOLERANCE);
    // The comparison is not vacuous: the parameters did move.
    expect(maxRelativeError(a, [...b].reverse(), FLOOR)).toBeGreaterThan(1e-3);
  }
};

describe(`optimizers match tf.train over ${STEPS} updates to ${TOLERANCE} relative`, () => {
  it('sgd matches tf.train.sgd', () => parity(() => sgd({ learningRate: 0.1 }), () => tf.train.sgd(0.1)));

  it('sgd with momentum matches tf.train.momentum', () =>
    parity(() => sgd({ learningRate: 0.05, momentum: 0.9 }), () => tf.train.momentum(0.05, 0.9)));

  it('sgd with Nesterov momentum matches tf.train.momentum with useNesterov', () =>
    parity(
      () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true }),
      () => tf.train.momentum(0.05, 0.8, true),
    ));

  it('adam matches tf.train.adam (bias correction by the update count)', () =>
    parity(
      () => adam({ learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }),
      () => tf.train.adam(0.01, 0.9, 0.999, 1e-8),
    ));

  it('adam with other betas matches tf.train.adam', () =>
    parity(
      () => adam({ learningRate: 0.003, beta1: 0.5, beta2: 0.9, epsilon: 1e-6 }),
      () => tf.train.adam(0.003, 0.5, 0.9, 1e-6),
    ));

  it('rmsprop matches tf.train.rmsprop', () =>
    parity(() => rmsprop({ learningRate: 0.01 }), () => tf.train.rmsprop(0.01)));

  it('rmsprop with decay, momentum and epsilon matches tf.train.rmsprop', () =>
    parity(
      () => rmsprop({ learningRate: 0.01, decay: 0.8, momentum: 0.7, epsilon: 1e-6 }),
      () => tf.train.rmsprop(0.01, 0.8, 0.7, 1e-6),
    ));

  // With epsilon 0 only: centred, tfjs subtracts epsilon under the root (see rmsprop's doc); we add it.
  it('centred rmsprop with momentum matches tf.train.rmsprop centered (epsilon 0)', () =>
    parity(
      () => rmsprop({ learningRate: 0.01, decay: 0.9, momentum: 0.5, epsilon: 0, centered: true }),
      () => tf.train.rmsprop(0.01, 0.9, 0.5, 0, true),
    ));

  it('centred rmsprop adds epsilon under the root, staying finite where tf.train.rmsprop gives NaN', () =>
    expectNoLeaks(() => {
      // A gradient of 1e-4: ms − mg² = 0.09e-8 < ε = 1e-6, so tfjs's √(ms − mg² − ε) is NaN.
      const g = () => ({ w: [1e-4] });
      const ours = runOptimizer(rmsprop({ learningRate: 0.01, epsilon: 1e-6, centered: true }), { w: [1] }, g, 1);
      const theirs = runTfOptimizer(() => tf.train.rmsprop(0.01, 0.9, 0, 1e-6, true), { w: [1] }, g, 1);
      const expected = 1 - (0.01 * 1e-4) / Math.sqrt(0.1 * 1e-8 - 0.01 * 1e-8 + 1e-6);
      expect(ours[0]?.['w']?.[0]).toBeCloseTo(expected, 6);
      expect(theirs[0]?.['w']?.[0]).toBeNaN();
    }));

  it('adagrad matches tf.train.adagrad', () =>
    parity(() => adagrad({ learningRate: 0.1 }), () => tf.train.adagrad(0.1)));

  it('adagrad with an initial accumulator value matches tf.train.adagrad', () =>
    parity(
      () => adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.5 }),
      () => tf.train.adagrad(0.1, 0.5),
    ));
});
