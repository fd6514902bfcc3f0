import { unevenSizes } from '../unevenSizes.js';

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
