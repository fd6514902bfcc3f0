import * as tf from '@tensorflow/tfjs';
import { checkSameParams, mapParams } from '../internal/tensorMaps.js';
import { finite, getOrThrow } from '../internal/validate.js';
import type { CountState, GradientTransformation } from './types.js';

/**
 * Multiplies every update by a fixed factor.
 *
 * A building block for {@link chain}: `scale(-1)` turns a direction into a descent step, `scale(1 / k)`
 * averages a sum of k gradients. `scale(a)` then `scale(b)` equals `scale(a·b)`.
 *
 * ## Example
 * ```ts
 * const descend = chain(clipByGlobalNorm(1), scale(-0.01)); // plain SGD with lr 0.01, clipped
 * ```
 *
 * @param factor any finite number
 * @returns a pure transform; `update` returns new tensors u·factor owned by the caller
 * @throws ConfigError synchronously for a non-finite factor
 * @see {@link scaleByLearningRate}, {@link chain}
 */
export function scale(factor: number): GradientTransformation<CountState> {
  const f = getOrThrow(finite('scale', 'factor')(factor));
  return {
    init: () => ({ count: 0 }),
    update: (grads, state, params) => {
      checkSameParams('scale.update', grads, params);
      return [tf.tidy(() => mapParams(grads, (g) => tf.mul(g, f))), { count: state.count + 1 }];
    },
    spec: { name: 'scale', factor: f },
  };
}
