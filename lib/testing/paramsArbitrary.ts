import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';
import { isShape, seedArbitrary, seededValues, sizeOf } from './internal/values.js';
import type { ParamValues } from './types.js';

/**
 * A fast-check arbitrary of parameter maps with the given names and shapes: plain {@link ParamValues},
 * values uniform in [-scale, scale), turned into tensors by {@link paramsFromValues}.
 *
 * ## Example
 * ```ts
 * fc.assert(fc.property(paramsArbitrary({ w: [3, 2], b: [2] }), (values) => {
 *   const params = paramsFromValues(values);
 *   // … an optimizer law over params …
 *   tf.dispose(Object.values(params));
 * }));
 * ```
 *
 * @param shapes each parameter's shape, by name (`[]` for a scalar)
 * @param scale the largest magnitude of a value, default 1
 * @returns an arbitrary of parameter values
 * @throws {ConfigError} when a shape or the scale is invalid
 */
export function paramsArbitrary(shapes: Readonly<Record<string, ReadonlyArray<number>>>, scale = 1): fc.Arbitrary<ParamValues> {
  for (const [name, shape] of Object.entries(shapes ?? {}))
    if (!isShape(shape)) throw new ConfigError('paramsArbitrary', `shapes.${name}`, shape, 'an array of integers >= 1');
  if (typeof shapes !== 'object' || shapes === null || Object.keys(shapes).length === 0)
    throw new ConfigError('paramsArbitrary', 'shapes', shapes, 'an object of at least one name → shape');
  if (!(Number.isFinite(scale) && scale > 0)) throw new ConfigError('paramsArbitrary', 'scale', scale, 'a finite number > 0');
  return seedArbitrary().map((seed) =>
    Object.fromEntries(
      Object.entries(shapes).map(([name, shape], i) => [name, { shape: [...shape], values: seededValues(sizeOf(shape), seed + 7919 * i, scale) }]),
    ),
  );
}
