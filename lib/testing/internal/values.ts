import * as fc from 'fast-check';
import { mulberry32 } from '../../internal/mulberry32.js';

/** Values uniform in [-scale, scale), drawn from `seed`: cheap to make, the same for the same seed. */
export function seededValues(count: number, seed: number, scale = 1): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}

/** The number of values in a tensor of this shape. */
export const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1);

/** A seed for {@link seededValues}: shrinking it means little, so it is kept small and printed plainly. */
export const seedArbitrary = (): fc.Arbitrary<number> => fc.nat({ max: 0xffff });

/** Checks a shape: integers >= 1. */
export const isShape = (shape: unknown): shape is ReadonlyArray<number> =>
  Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 1);
