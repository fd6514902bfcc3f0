import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../../errors/ConfigError.js';
import type { AccumulationSteps } from '../accumulate.js';

/**
 * The size of the window that opens after `updateStep` updates: `steps` itself, or the schedule's value
 * at that step. Pure: a schedule's value that is not an integer >= 1 is a `Left` naming the step, so
 * that {@link addToWindow} can fail the stream with it while the worker pool, which only needs to know
 * when to collect, can read it as 1 and leave the rejection to accumulate.
 */
export function windowSize(steps: AccumulationSteps, updateStep: number): E.Either<ConfigError, number> {
  if (typeof steps === 'number') return E.right(steps);
  const n = steps(updateStep);
  return Number.isInteger(n) && n >= 1
    ? E.right(n)
    : E.left(new ConfigError('accumulate', `accumulationSteps(${updateStep})`, n, 'an integer >= 1'));
}
