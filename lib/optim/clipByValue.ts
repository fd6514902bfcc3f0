import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors/ConfigError.js';
import { checkSameParams, mapParams } from '../internal/tensorMaps.js';
import { finite, getOrThrow } from '../internal/validate.js';
import type { CountState, GradientTransformation } from './types.js';

const FN = 'clipByValue';

const validate = (min: unknown, max: unknown) =>
  pipe(
    E.Do,
    E.bind('min', () => finite(FN, 'min')(min)),
    E.bind('max', () => finite(FN, 'max')(max)),
    E.chain((c) => (c.min <= c.max ? E.right(c) : E.left(new ConfigError(FN, 'max', c.max, `a number >= min (${c.min})`)))),
  );

/**
 * Clamps every element of every update to [min, max].
 *
 * A blunt guard against exploding gradients; it changes the direction of the update, which
 * {@link clipByGlobalNorm} does not, so prefer that unless you need a hard bound per element.
 *
 * ## Example
 * ```ts
 * const opt = chain(clipByValue(-1, 1), sgd({ learningRate: 0.1 }));
 * ```
 *
 * @param min the lower bound, finite
 * @param max the upper bound, finite and >= min
 * @returns a pure transform; `update` returns new tensors owned by the caller
 * @throws ConfigError synchronously for non-finite bounds or max < min
 * @see {@link clipByGlobalNorm}
 */
export function clipByValue(min: number, max: number): GradientTransformation<CountState> {
  const bounds = getOrThrow(validate(min, max));
  return {
    init: () => ({ count: 0 }),
    update: (grads, state, params) => {
      checkSameParams(`${FN}.update`, grads, params);
      return [tf.tidy(() => mapParams(grads, (g) => tf.clipByValue(g, bounds.min, bounds.max))), { count: state.count + 1 }];
    },
    spec: { name: 'clipByValue', min: bounds.min, max: bounds.max },
  };
}
