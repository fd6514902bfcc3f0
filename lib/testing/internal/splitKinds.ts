import { mulberry32 } from '../../internal/mulberry32.js';

/** The splits {@link checkAccumulationSafety} compares by default: even, uneven, single examples. */
export function splitKinds(examples: number, seed: number): Array<{ kind: 'even' | 'uneven' | 'single examples'; sizes: number[] }> {
  const half = Math.floor(examples / 2);
  const out: Array<{ kind: 'even' | 'uneven' | 'single examples'; sizes: number[] }> = [
    { kind: 'even', sizes: examples % 2 === 0 ? [half, half] : [examples - half, half] },
  ];
  if (examples >= 3) out.push({ kind: 'uneven', sizes: unevenSizes(examples, Math.min(4, examples - 1), seed) });
  out.push({ kind: 'single examples', sizes: Array.from({ length: examples }, () => 1) });
  return out;
}

/**
 * Cuts `total` examples into `parts` micro-batches of sizes that are not all equal (each at least 1),
 * drawn from `seed`: a split that a plain mean of micro-batch means gets wrong.
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
