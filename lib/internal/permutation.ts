/**
 * A uniformly random permutation of `0 .. n-1` (Fisher–Yates), drawn from `random`.
 *
 * ## Example
 * ```ts
 * permutation(4, mulberry32(1)); // the same order of 0, 1, 2, 3 for seed 1, every time
 * ```
 *
 * @param n how many indices
 * @param random a generator of numbers in [0, 1), such as {@link mulberry32}
 * @returns a fresh array holding each of `0 .. n-1` once
 */
export function permutation(n: number, random: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  return order;
}
