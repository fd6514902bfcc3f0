import * as tf from '@tensorflow/tfjs';
import { checkSameParams, globalNorm, mapParams } from '../internal/tensorMaps.js';
import { getOrThrow, positive } from '../internal/validate.js';
import type { CountState, GradientTransformation } from './types.js';

/**
 * Rescales the updates so that their global L2 norm (over all parameters together) is at most `maxNorm`,
 * keeping their direction: as PyTorch's `clip_grad_norm_`, the updates are multiplied by
 * maxNorm / (norm + 1e-6) when norm > maxNorm, and left as they are otherwise.
 *
 * The usual guard against exploding gradients (transformers, RNNs): unlike {@link clipByValue} it never
 * changes the direction of the step. The 1e-6 keeps the division finite and the result just under maxNorm.
 * Place it first in a {@link chain}, on the raw (accumulated) gradients.
 *
 * ## Example
 * ```ts
 * // gradients 3 and 4 have norm 5; clipped to norm 1 they become 0.6 and 0.8 (up to the 1e-6)
 * const opt = chain(clipByGlobalNorm(1), adam({ learningRate: 1e-3 }));
 * ```
 *
 * @param maxNorm the largest norm allowed, a finite number > 0
 * @returns a pure transform; `update` returns new tensors owned by the caller (copies when no clipping is
 * needed, never the tensors it was given)
 * @throws ConfigError synchronously for an invalid maxNorm
 * @see {@link clipByValue}, {@link chain}
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<CountState> {
  const max = getOrThrow(positive('clipByGlobalNorm', 'maxNorm')(maxNorm));
  return {
    init: () => ({ count: 0 }),
    update: (grads, state, params) => {
      checkSameParams('clipByGlobalNorm.update', grads, params);
      const updates = tf.tidy(() => {
        const norm = globalNorm(grads);
        // A tensor-valued factor keeps the step on the device: no data sync to decide whether to clip.
        const factor = tf.where(tf.greater(norm, max), tf.div(max, tf.add(norm, 1e-6)), tf.onesLike(norm));
        return mapParams(grads, (g) => tf.mul(g, factor));
      });
      return [updates, { count: state.count + 1 }];
    },
    spec: { name: 'clipByGlobalNorm', maxNorm: max },
  };
}
