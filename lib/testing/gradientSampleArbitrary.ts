import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';
import { paramsArbitrary } from './paramsArbitrary.js';
import type { GradientSampleValues } from './types.js';

/** Options of {@link gradientSampleArbitrary}. */
export interface GradientSampleArbitraryOptions {
  /** Most examples in the micro-batch, default 16. */
  readonly maxExamples?: number;
  /**
   * `'examples'` (the default): `count` equals `examples`, as for per-example losses. `'items'`: `count`
   * is any integer from 1 to 4 × `examples`, as for a `{ sum, count }` loss over tokens.
   */
  readonly count?: 'examples' | 'items';
  /** The largest magnitude of a gradient value, default 1. */
  readonly scale?: number;
}

/**
 * A fast-check arbitrary of `GradientSample`s' values for parameters of the given shapes: what one
 * micro-batch contributes to a window, for testing what sums samples (`accumulate`, a custom reducer)
 * without a model. Turn `grads` into tensors with {@link paramsFromValues}; `loss` is the micro-batch's
 * loss sum.
 *
 * ## Example
 * ```ts
 * fc.assert(fc.property(fc.array(gradientSampleArbitrary({ w: [2] }), { minLength: 1 }), (samples) => {
 *   const items = samples.reduce((n, s) => n + s.count, 0);
 *   expect(items).toBeGreaterThan(0);
 * }));
 * ```
 *
 * @param shapes each parameter's shape, by name
 * @param options examples, how items are counted, and the gradients' scale
 * @returns an arbitrary of sample values
 * @throws {ConfigError} when a shape or option is invalid
 */
export function gradientSampleArbitrary(
  shapes: Readonly<Record<string, ReadonlyArray<number>>>,
  options: GradientSampleArbitraryOptions = {},
): fc.Arbitrary<GradientSampleValues> {
  const { maxExamples = 16, count = 'examples', scale = 1 } = options;
  if (!Number.isInteger(maxExamples) || maxExamples < 1) throw new ConfigError('gradientSampleArbitrary', 'maxExamples', maxExamples, 'an integer >= 1');
  if (count !== 'examples' && count !== 'items') throw new ConfigError('gradientSampleArbitrary', 'count', count, "'examples' or 'items'");
  return fc
    .record({
      grads: paramsArbitrary(shapes, scale),
      examples: fc.integer({ min: 1, max: maxExamples }),
      itemsPerExample: fc.integer({ min: 1, max: 4 }),
      lossPerItem: fc.double({ min: 0, max: 4, noNaN: true }),
    })
    .chain(({ grads, examples, itemsPerExample, lossPerItem }) =>
      (count === 'examples' ? fc.constant(examples) : fc.integer({ min: 1, max: examples * itemsPerExample })).map((items) => ({
        grads,
        loss: Math.fround(lossPerItem * items),
        count: items,
        examples,
      })),
    );
}
