import { getOrThrow, nonNegative } from '../../internal/validate.js';
import type { Schedule } from '../types.js';

/**
 * The schedule that is `value` at every step.
 *
 * For APIs that take a {@link Schedule} only; optimizers also take a plain number.
 *
 * ## Example
 * ```ts
 * const lr = constant(0.1);
 * lr(0); // 0.1
 * lr(1000); // 0.1
 * ```
 *
 * @param value a finite number >= 0
 * @returns a pure schedule
 * @throws ConfigError synchronously for a negative or non-finite value
 * @see {@link linearWarmup}, {@link piecewiseConstant}
 */
export function constant(value: number): Schedule {
  const v = getOrThrow(nonNegative('constant', 'value')(value));
  return () => v;
}
