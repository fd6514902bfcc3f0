import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { scheduleConfig } from '../../internal/scheduleOptions.js';
import { getOrThrow } from '../../internal/validate.js';
import type { Schedule } from '../types.js';

/** Options of {@link piecewiseConstant}. */
export interface PiecewiseConstantOptions {
  /** Steps at which the value changes: strictly increasing integers >= 1. */
  readonly boundaries: ReadonlyArray<number>;
  /** One more value than boundaries, each a finite number >= 0. */
  readonly values: ReadonlyArray<number>;
}

const FN = 'piecewiseConstant';

const isStep = (b: unknown): b is number => Number.isInteger(b) && (b as number) >= 1;
const isRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

const validate = scheduleConfig(FN, ['boundaries', 'values'], (o): E.Either<ConfigError, PiecewiseConstantOptions> => {
  const { boundaries, values } = o;
  const fail = (field: string, value: unknown, expected: string) => E.left(new ConfigError(FN, field, value, expected));
  if (!Array.isArray(boundaries) || !boundaries.every(isStep)) {
    return fail('boundaries', boundaries, 'an array of integers >= 1');
  }
  if (boundaries.some((b, i) => i > 0 && b <= (boundaries[i - 1] as number))) {
    return fail('boundaries', boundaries, 'strictly increasing');
  }
  if (!Array.isArray(values) || !values.every(isRate)) return fail('values', values, 'an array of finite numbers >= 0');
  if (values.length !== boundaries.length + 1) {
    return fail('values', values, `an array of boundaries.length + 1 = ${boundaries.length + 1} values`);
  }
  return E.right({ boundaries: boundaries as ReadonlyArray<number>, values: values as ReadonlyArray<number> });
});

/**
 * A step function: `values[0]` before `boundaries[0]`, `values[i]` from `boundaries[i − 1]` (included) to
 * `boundaries[i]` (excluded), and the last value from the last boundary on.
 *
 * The classic "divide by 10 at epochs 30 and 60" schedule. A boundary is the first step with the new value,
 * as in Optax's `piecewise_constant_schedule` (which takes scales; this takes the values themselves).
 *
 * ## Example
 * ```ts
 * const lr = piecewiseConstant({ boundaries: [100, 200], values: [0.1, 0.01, 0.001] });
 * lr(99); // 0.1
 * lr(100); // 0.01
 * lr(250); // 0.001
 * ```
 *
 * @param config `boundaries` and `values`
 * @returns a pure schedule of the update count
 * @throws ConfigError synchronously, naming the field and value, for an invalid config
 * @see {@link exponentialDecay}
 */
export function piecewiseConstant(config: PiecewiseConstantOptions): Schedule {
  const { boundaries, values } = getOrThrow(validate(config));
  return (step) => {
    const i = boundaries.findIndex((b) => step < b);
    return values[i === -1 ? boundaries.length : i] as number;
  };
}
