import { describe, expect, it } from 'vitest';
import { unevenSizes } from '../../lib/testing/unevenSizes.js';

describe('unevenSizes', () => {
  it('cuts a batch into the asked number of parts, of unequal sizes, each at least one example', () => {
    for (const [total, parts, seed] of [[256, 8, 42], [10, 3, 1], [5, 5, 7], [2, 2, 0]] as const) {
      const sizes = unevenSizes(total, parts, seed);
      expect(sizes).toHaveLength(parts);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
      expect(sizes.every((s) => s >= 1)).toBe(true);
      if (total > parts) expect(new Set(sizes).size).toBeGreaterThan(1);
    }
  });

  it('gives the same sizes for the same seed', () => {
    expect(unevenSizes(256, 8, 42)).toEqual(unevenSizes(256, 8, 42));
  });
});
