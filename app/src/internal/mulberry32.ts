// The app's own copy: the library keeps its generator internal (it is not part of the public API).
/**
 * A seeded pseudo-random generator (mulberry32): returns a function that yields numbers in [0, 1), the
 * same sequence for the same seed on every platform, since it uses only 32-bit integer arithmetic.
 *
 * Why not `Math.random`: a run must be reproducible bit for bit from its `--seed`.
 *
 * ## Example
 * ```ts
 * const random = mulberry32(42);
 * random(); // 0.6011037519201636, always
 * ```
 *
 * @param seed any number; only its low 32 bits are used
 * @returns a generator of numbers in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
