import { describe, expect, it } from 'vitest';
import { fc, test as prop } from '@fast-check/vitest';
import { mulberry32 } from '../../lib/internal/mulberry32.js';
import { permutation } from '../../lib/internal/permutation.js';

describe('mulberry32', () => {
  it('gives the documented first number for seed 42', () => {
    expect(mulberry32(42)()).toBe(0.6011037519201636);
  });

  prop.prop([fc.integer({ min: 0, max: 2 ** 32 - 1 })])('yields the same numbers in [0, 1) for the same seed', (seed) => {
    const a = mulberry32(seed);
    const b = mulberry32(seed);
    for (let i = 0; i < 20; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('permutation', () => {
  prop.prop([fc.integer({ min: 0, max: 200 }), fc.nat()])('holds each index below n exactly once, for any n and seed', (n, seed) => {
    const order = Array.from(permutation(n, mulberry32(seed)));
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('puts each of 4 indices first about equally often (Fisher–Yates is uniform)', () => {
    const random = mulberry32(7);
    const firsts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) firsts[permutation(4, random)[0] as number]! += 1;
    firsts.forEach((f) => expect(Math.abs(f - 1000)).toBeLessThan(120));
  });
});
