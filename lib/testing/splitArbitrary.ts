import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';

/** Options of {@link splitArbitrary}. */
export interface SplitArbitraryOptions {
  /** Fewest micro-batches, default 1. */
  readonly minParts?: number;
  /** Most micro-batches, default `min(examples, 8)`. */
  readonly maxParts?: number;
}

const FN = 'splitArbitrary';

/**
 * A fast-check arbitrary of the ways to cut `examples` consecutive examples into micro-batches: arrays of
 * sizes, each at least 1, summing to `examples`. Most are uneven, which is what a wrongly weighted
 * accumulation gets wrong; they shrink towards fewer parts.
 *
 * ## Example
 * ```ts
 * fc.assert(fc.property(splitArbitrary(10, { maxParts: 4 }), (sizes) => {
 *   expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
 * }));
 * ```
 *
 * @param examples the examples to split, an integer >= 1
 * @param options the range of the number of parts
 * @returns an arbitrary of micro-batch sizes
 * @throws {ConfigError} when `examples` or a bound is invalid
 */
export function splitArbitrary(examples: number, options: SplitArbitraryOptions = {}): fc.Arbitrary<ReadonlyArray<number>> {
  if (!Number.isInteger(examples) || examples < 1) throw new ConfigError(FN, 'examples', examples, 'an integer >= 1');
  const { minParts = 1, maxParts = Math.min(examples, 8) } = options;
  if (!Number.isInteger(minParts) || minParts < 1 || minParts > examples)
    throw new ConfigError(FN, 'minParts', minParts, `an integer in [1, ${examples}]`);
  if (!Number.isInteger(maxParts) || maxParts < minParts || maxParts > examples)
    throw new ConfigError(FN, 'maxParts', maxParts, `an integer in [minParts (${minParts}), ${examples}]`);
  // Parts are the gaps between distinct cut points in (0, examples).
  return fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, examples - 1) }), { minLength: minParts - 1, maxLength: maxParts - 1 })
    .filter((cuts) => examples > 1 || cuts.length === 0)
    .map((cuts) => {
      const points = [0, ...[...cuts].sort((a, b) => a - b), examples];
      return points.slice(1).map((p, i) => p - (points[i] as number));
    });
}
