/**
 * Learning rates as numbers or schedules: their validator, and their value at an update.
 * Owned by lib/optim.
 */
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../errors/ConfigError.js';
import type { LearningRate, Schedule } from '../optim/types.js';
import type { Validator } from './validate.js';

/**
 * Validates a learning-rate option: a finite number > 0 or a schedule (checked at each update instead).
 */
export const learningRateOption =
  (fn: string, field = 'learningRate'): Validator<LearningRate> =>
  (value) =>
    typeof value === 'function'
      ? E.right(value as Schedule)
      : typeof value === 'number' && Number.isFinite(value) && value > 0
        ? E.right(value)
        : E.left(new ConfigError(fn, field, value, 'a finite number > 0 or a schedule (step) => number'));

/** A learning rate as it appears in a {@link TransformSpec}: the number, or `'schedule'` for a function. */
export const learningRateSpec = (lr: LearningRate): number | string => (typeof lr === 'number' ? lr : 'schedule');

/**
 * The learning rate at `step` (the number of updates made before this one). Calls a schedule exactly once,
 * with `step` only.
 *
 * @throws ConfigError naming the step and the value when a schedule returns a non-finite or negative rate
 */
export function learningRateAt(fn: string, lr: LearningRate, step: number, field = 'learningRate'): number {
  if (typeof lr === 'number') return lr;
  const value: unknown = lr(step);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(fn, `${field}(step ${step})`, value, 'a finite number >= 0');
  }
  return value;
}
