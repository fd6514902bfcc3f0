import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';
import { isShape, seedArbitrary, seededValues, sizeOf } from './internal/values.js';
import type { BatchValues } from './types.js';

/** Options of {@link batchArbitrary}. */
export interface BatchArbitraryOptions {
  /** Shape of one example's input, e.g. `[4]` or `[8, 8, 1]`. */
  readonly xShape: ReadonlyArray<number>;
  /** Shape of one example's label, e.g. `[3]`; `[]` for one number per example. */
  readonly yShape: ReadonlyArray<number>;
  /** Fewest examples, default 1. */
  readonly minExamples?: number;
  /** Most examples, default 16. */
  readonly maxExamples?: number;
  /**
   * Labels: `'real'` values in [-1, 1) (regression, the default), `'one-hot'` rows (one 1 on the last
   * axis, for softmax cross-entropy) or `'binary'` 0s and 1s (for sigmoid cross-entropy).
   */
  readonly labels?: 'real' | 'one-hot' | 'binary';
}

const FN = 'batchArbitrary';

/**
 * A fast-check arbitrary of batches of a given example shape: plain {@link BatchValues}, turned into
 * tensors by {@link batchFromValues}. Inputs are uniform in [-1, 1); the number of examples shrinks
 * towards `minExamples`.
 *
 * ## Example
 * ```ts
 * fc.assert(fc.property(batchArbitrary({ xShape: [4], yShape: [2], labels: 'one-hot' }), (values) => {
 *   const batch = batchFromValues(values);
 *   expect(batch.ys.sum().dataSync()[0]).toBe(values.examples);
 *   tf.dispose([batch.xs, batch.ys]);
 * }));
 * ```
 *
 * @param options the example shapes, the range of example counts and the kind of labels
 * @returns an arbitrary of batch values
 * @throws {ConfigError} when a shape or count is invalid
 */
export function batchArbitrary(options: BatchArbitraryOptions): fc.Arbitrary<BatchValues> {
  const { xShape, yShape, minExamples = 1, maxExamples = 16, labels = 'real' } = options;
  if (!isShape(xShape)) throw new ConfigError(FN, 'xShape', xShape, 'an array of integers >= 1');
  if (!isShape(yShape)) throw new ConfigError(FN, 'yShape', yShape, 'an array of integers >= 1');
  if (!Number.isInteger(minExamples) || minExamples < 1) throw new ConfigError(FN, 'minExamples', minExamples, 'an integer >= 1');
  if (!Number.isInteger(maxExamples) || maxExamples < minExamples)
    throw new ConfigError(FN, 'maxExamples', maxExamples, `an integer >= minExamples (${minExamples})`);
  if (!['real', 'one-hot', 'binary'].includes(labels)) throw new ConfigError(FN, 'labels', labels, "'real', 'one-hot' or 'binary'");
  if (labels === 'one-hot' && yShape.length === 0) throw new ConfigError(FN, 'yShape', yShape, "a shape with a class axis for 'one-hot' labels");
  return fc
    .record({ examples: fc.integer({ min: minExamples, max: maxExamples }), seed: seedArbitrary() })
    .map(({ examples, seed }) => {
      const xs = seededValues(examples * sizeOf(xShape), seed);
      const raw = seededValues(examples * sizeOf(yShape), seed + 1);
      return { examples, xs, ys: labelsOf(raw, yShape, labels), xShape: [examples, ...xShape], yShape: [examples, ...yShape] };
    });
}

function labelsOf(raw: Float32Array, yShape: ReadonlyArray<number>, kind: 'real' | 'one-hot' | 'binary'): Float32Array {
  if (kind === 'real') return raw;
  if (kind === 'binary') return raw.map((v) => (v >= 0 ? 1 : 0));
  const classes = yShape[yShape.length - 1] as number;
  const out = new Float32Array(raw.length);
  for (let row = 0; row < raw.length / classes; row++) {
    const pick = Math.min(classes - 1, Math.floor(((raw[row * classes] as number) + 1) / 2 * classes));
    out[row * classes + pick] = 1;
  }
  return out;
}
