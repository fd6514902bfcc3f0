import * as tf from '@tensorflow/tfjs';
import { checkSameParams, mapParams, paramAt } from '../internal/tensorMaps.js';
import { getOrThrow, nonNegative } from '../internal/validate.js';
import type { CountState, GradientTransformation } from './types.js';

/**
 * Adds the parameters, scaled, to the updates: u + rate·p. Decoupled weight decay when placed before
 * {@link scaleByLearningRate} (Optax's `add_decayed_weights`).
 *
 * ## Example
 * ```ts
 * const sgdw = chain(addDecayedWeights(1e-4), scaleByLearningRate(0.1)); // p ← p − 0.1·(g + 1e-4·p)
 * ```
 *
 * @param rate the decay rate, a finite number >= 0
 * @returns a pure transform; `update` reads `params` and returns new tensors owned by the caller
 * @throws ConfigError synchronously for an invalid rate
 * @see {@link adamw}, {@link chain}
 */
export function addDecayedWeights(rate: number): GradientTransformation<CountState> {
  const r = getOrThrow(nonNegative('addDecayedWeights', 'rate')(rate));
  const fn = 'addDecayedWeights.update';
  return {
    init: () => ({ count: 0 }),
    update: (grads, state, params) => {
      checkSameParams(fn, grads, params);
      const updates = tf.tidy(() => mapParams(grads, (g, name) => tf.add(g, tf.mul(paramAt(params, name, fn), r))));
      return [updates, { count: state.count + 1 }];
    },
    spec: { name: 'addDecayedWeights', rate: r },
  };
}
