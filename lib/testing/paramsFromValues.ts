import * as tf from '@tensorflow/tfjs';
import type { Params } from '../params/types.js';
import type { ParamValues } from './types.js';

/**
 * Fresh tensors for a {@link ParamValues} (from {@link paramsArbitrary}, or the `grads` of a
 * {@link gradientSampleArbitrary} value).
 *
 * ## Example
 * ```ts
 * fc.assert(fc.property(paramsArbitrary({ w: [2, 3] }), (values) => {
 *   const params = paramsFromValues(values);
 *   expect(params.w!.shape).toEqual([2, 3]);
 *   tf.dispose(Object.values(params));
 * }));
 * ```
 *
 * @param values the values, by name (not kept)
 * @returns a new map, whose tensors the caller owns
 */
export function paramsFromValues(values: ParamValues): Params {
  return Object.fromEntries(Object.entries(values).map(([name, v]) => [name, tf.tensor(v.values, [...v.shape])]));
}
