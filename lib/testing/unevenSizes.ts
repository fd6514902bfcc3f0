import { mulberry32 } from '../internal/mulberry32.js';

/**
 * Cuts `total` examples into `parts` micro-batch sizes that are not all equal (each at least 1), drawn from
 * `seed`: a split that a plain mean of micro-batch means gets wrong, so a test or a check run on it tells an
 * exact accumulation from the common bug. The same seed gives the same sizes on every platform.
 *
 * ## Example
 * ```ts
 * const sizes = unevenSizes(256, 8, 42); // 8 sizes, at least 1 each, not all equal, summing to 256
 * const report = checkAccumulationSafety(model, loss, batch, { splits: [sizes] });
 * ```
 *
 * @param total examples in the batch
 * @param parts micro-batches wanted (fewer when `total` is smaller)
 * @param seed any number; only its low 32 bits are used
 * @returns the sizes, in order; `[total]` when `parts <= 1` or `total < 2`
 */
export function unevenSizes(total: number, parts: number, seed: number): number[] {
  if (parts <= 1 || total < 2) return [total];
  const n = Math.min(parts, total);
  const random = mulberry32(seed);
  // One example each, then the rest shared by weights in [0.5, 1.5): sizes differ, none is empty.
  const weights = Array.from({ length: n }, () => 0.5 + random());
  const sum = weights.reduce((a, b) => a + b, 0);
  const rest = total - n;
  const sizes = weights.map((w) => 1 + Math.floor((w / sum) * rest));
  sizes[0]! += total - sizes.reduce((a, b) => a + b, 0);
  if (sizes.every((s) => s === sizes[0]) && sizes[1]! > 1) {
    sizes[0]! += 1;
    sizes[1]! -= 1;
  }
  return sizes;
}
