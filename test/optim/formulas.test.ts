import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { adam } from '../../lib/optim/adam.js';
import { adamw } from '../../lib/optim/adamw.js';
import { addDecayedWeights } from '../../lib/optim/addDecayedWeights.js';
import { applyUpdates } from '../../lib/optim/applyUpdates.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { clipByValue } from '../../lib/optim/clipByValue.js';
import { scale } from '../../lib/optim/scale.js';
import { scaleByLearningRate } from '../../lib/optim/scaleByLearningRate.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import type { Params } from '../../lib/params/types.js';
import { expectNoLeaks } from '../support/leaks.js';
import { runOptimizer } from './support.js';

const close = (actual: ReadonlyArray<number> | undefined, expected: ReadonlyArray<number>, digits = 6) => {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((e, i) => expect(actual?.[i]).toBeCloseTo(e, digits));
};

/** One update of `t` from a fresh state; returns the updates' values. */
const once = <S>(t: GradientTransformation<S>, grads: Record<string, number[]>, params: Record<string, number[]>) => {
  const g: Params = Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.tensor(v)]));
  const p: Params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.tensor(v)]));
  const state = t.init(p);
  const [updates, next] = t.update(g, state, p);
  const values = Object.fromEntries(Object.entries(updates).map(([k, u]) => [k, Array.from(u.dataSync())]));
  disposeTree([g, p, state, updates, next]);
  return values;
};

// Adam's numbers hold to 5 digits, not 6: β₂ = 0.999 is 0.99900001 in float32, so 1 − β₂ᵗ in the bias
// correction is 1.3e-5 off 0.001 and the direction 6.4e-6 off ±1 (tf.train.adam does the same).
describe('adamw', () => {
  // Constant gradients make Adam's direction m̂/(√v̂+ε) = ±1 (up to ε) at every step, since m̂ = g and
  // v̂ = g² exactly: p ← p − lr·wd·p − lr·sign(g) = 0.999·p − 0.1 with lr 0.1 and wd 0.01.
  it('decays decoupled from the gradient: gradients 1..4 give p ← 0.999·p − 0.1 at each step', () =>
    expectNoLeaks(() => {
      const trajectory = runOptimizer(
        adamw({ learningRate: 0.1, weightDecay: 0.01 }),
        { p: [1, 2, 3, 4] },
        () => ({ p: [1, 2, 3, 4] }),
        2,
      );
      close(trajectory[0]?.['p'], [0.899, 1.898, 2.897, 3.896], 5);
      close(trajectory[1]?.['p'], [0.798101, 1.796102, 2.794103, 3.792104], 5);
    }));

  // Step 2 with the gradient reversed: m = 0.9·0.1g − 0.1g = −0.01g, m̂ = −0.01g/0.19 = −g/19,
  // v̂ = g², so the direction is −1/19 and p₂ = p₁ − 0.1·(−1/19 + 0.01·p₁).
  it('uses bias-corrected moments: a reversed gradient gives the direction −1/19 at step 2', () =>
    expectNoLeaks(() => {
      const trajectory = runOptimizer(
        adamw({ learningRate: 0.1, weightDecay: 0.01 }),
        { p: [1] },
        (step) => ({ p: [step === 0 ? 1 : -1] }),
        2,
      );
      close(trajectory[1]?.['p'], [0.899 - 0.1 * (-1 / 19 + 0.01 * 0.899)], 5);
    }));

  it('with weightDecay 0 equals adam', () =>
    expectNoLeaks(() => {
      const grads = (step: number) => ({ p: [Math.sin(step), Math.cos(step), step / 10] });
      const a = runOptimizer(adamw({ learningRate: 0.01, weightDecay: 0 }), { p: [1, -1, 0.5] }, grads, 5);
      const b = runOptimizer(adam({ learningRate: 0.01 }), { p: [1, -1, 0.5] }, grads, 5);
      expect(a).toEqual(b);
    }));
});

describe('clipByGlobalNorm', () => {
  it('scales gradients 1..4 (norm √30) by 1/(√30 + 1e-6) to norm 1', () =>
    expectNoLeaks(() => {
      const u = once(clipByGlobalNorm(1), { g: [1, 2, 3, 4] }, { g: [0, 0, 0, 0] });
      const f = 1 / (Math.sqrt(30) + 1e-6);
      close(u['g'], [f, 2 * f, 3 * f, 4 * f]);
    }));

  it('takes the norm over all parameters together: 3 and 4 clipped to 1 give 0.6 and 0.8', () =>
    expectNoLeaks(() => {
      const u = once(clipByGlobalNorm(1), { a: [3], b: [4] }, { a: [0], b: [0] });
      close(u['a'], [0.6]);
      close(u['b'], [0.8]);
    }));

  it('leaves gradients whose norm is at most maxNorm unchanged', () =>
    expectNoLeaks(() => {
      const u = once(clipByGlobalNorm(Math.sqrt(30)), { g: [1, 2, 3, 4] }, { g: [0, 0, 0, 0] });
      expect(u['g']).toEqual([1, 2, 3, 4]);
    }));
});

describe('the other transforms', () => {
  it('clipByValue clamps each element', () =>
    expectNoLeaks(() => expect(once(clipByValue(-1, 1), { g: [-2, 0.5, 3] }, { g: [0, 0, 0] })['g']).toEqual([-1, 0.5, 1])));

  it('addDecayedWeights adds rate·p', () =>
    expectNoLeaks(() => close(once(addDecayedWeights(0.1), { g: [1, 2] }, { g: [10, 20] })['g'], [2, 4])));

  it('scale multiplies by the factor', () =>
    expectNoLeaks(() => expect(once(scale(-0.5), { g: [1, -2] }, { g: [0, 0] })['g']).toEqual([-0.5, 1])));

  it('scaleByLearningRate multiplies by −lr, the schedule read at the update count', () =>
    expectNoLeaks(() => {
      close(once(scaleByLearningRate(0.1), { g: [1, 2] }, { g: [0, 0] })['g'], [-0.1, -0.2]);
      const trajectory = runOptimizer(scaleByLearningRate((step) => step + 1), { p: [0] }, () => ({ p: [1] }), 3);
      expect(trajectory.map((t) => t['p'])).toEqual([[-1], [-3], [-6]]);
    }));

  it('applyUpdates adds the updates to the parameters', () =>
    expectNoLeaks(() => {
      const p = { w: tf.tensor([1, 2]) };
      const u = { w: tf.tensor([0.5, -1]) };
      const out = applyUpdates(p, u);
      expect(Array.from(out['w']?.dataSync() ?? [])).toEqual([1.5, 1]);
      disposeTree([p, u, out]);
    }));

  it('sgd with momentum keeps the trace v ← m·v + g: gradient 1 twice gives steps −lr and −lr·1.9', () =>
    expectNoLeaks(() => {
      const trajectory = runOptimizer(sgd({ learningRate: 0.1, momentum: 0.9 }), { p: [0] }, () => ({ p: [1] }), 2);
      close(trajectory.map((t) => t['p']?.[0] ?? NaN), [-0.1, -0.29]);
    }));

  it('chain forwards learningRate from its first member that has one', () =>
    expectNoLeaks(() => {
      const opt = chain(clipByGlobalNorm(1), sgd({ learningRate: (step) => 0.1 / (step + 1) }), scale(2));
      const p = { w: tf.zeros([2]) };
      const state = opt.init(p);
      expect(opt.learningRate?.(state)).toBe(0.1);
      expect(chain(scale(2)).learningRate).toBeUndefined();
      disposeTree([p, state]);
    }));
});
