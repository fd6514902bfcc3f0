/** Small order statistics for the bench: medians and quartiles of samples (linear interpolation). */

/** The q-quantile (0..1) of `values`, interpolated between order statistics. */
export function quantile(values: ReadonlyArray<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

/** A median with its spread: the interquartile range [p25, p75] and the sample count. */
export interface Summary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly n: number;
}

export function summarize(values: ReadonlyArray<number>): Summary {
  return { median: quantile(values, 0.5), p25: quantile(values, 0.25), p75: quantile(values, 0.75), n: values.length };
}

/** `1.234 [1.20–1.26]`: a median and its interquartile range, for the printed tables. */
export function show(s: Summary, digits = 3): string {
  return `${s.median.toFixed(digits)} [${s.p25.toFixed(digits)}–${s.p75.toFixed(digits)}]`;
}
