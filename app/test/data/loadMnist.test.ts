import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/loadMnist.js';
import type { Examples } from 'gradstream';

describe('loadMnist', () => {
  let all: Examples;
  beforeAll(() => {
    all = loadMnist();
  });

  it('loads the 10,000 digits of the mnist package as 784 pixels and 10 classes each', () => {
    expect(all.count).toBe(10_000);
    expect(all.images.length).toBe(10_000 * 784);
    expect(all.labels.length).toBe(10_000 * 10);
  });

  it('keeps every pixel in [0, 1]', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of all.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBeCloseTo(1, 5);
  });

  it('gives every example a one-hot label, with the per-digit counts of the package', () => {
    const perDigit = new Array<number>(10).fill(0);
    for (let i = 0; i < all.count; i++) {
      const row = Array.from(all.labels.subarray(i * 10, (i + 1) * 10));
      expect(row.reduce((a, b) => a + b, 0)).toBe(1);
      perDigit[row.indexOf(1)]! += 1;
    }
    expect(perDigit).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('draws a digit with ink in the middle, not an empty frame (pixels are row-major 28×28)', () => {
    const first = all.images.subarray(0, 784);
    const centre = Array.from({ length: 10 }, (_, r) => first.subarray((9 + r) * 28 + 9, (9 + r) * 28 + 19));
    expect(centre.some((row) => row.some((v) => v > 0.5))).toBe(true);
  });
});
