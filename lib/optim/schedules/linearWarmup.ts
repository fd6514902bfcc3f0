import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { scheduleConfig } from '../../internal/scheduleOptions.js';
import { getOrThrow, integerAtLeast, nonNegative, withDefault } from '../../internal/validate.js';
import type { Schedule } from '../types.js';

/** Options of {@link linearWarmup}. */
export interface LinearWarmupOptions {
  /** The rate at step 0, >= 0; default 0. */
  readonly initial?: number;
  /** The rate reached at `warmupSteps` and kept afterwards, >= 0. */
  readonly peak: number;
  /** The number of steps of the ramp, an integer >= 1. */
  readonly warmupSteps: number;
}

const FN = 'linearWarmup';

const validate = scheduleConfig(FN, ['initial', 'peak', 'warmupSteps'], (o) =>
  pipe(
    E.Do,
    E.bind('initial', () => withDefault(nonNegative(FN, 'initial'), 0)(o['initial'])),
    E.bind('peak', () => nonNegative(FN, 'peak')(o['peak'])),
    E.bind('warmupSteps', () => integerAtLeast(FN, 'warmupSteps', 1)(o['warmupSteps'])),
  ),
);

/**
 * Ramps linearly from `initial` to `peak` over `warmupSteps` steps, then stays at `peak`:
 * initial + (peak − initial)·min(step, warmupSteps)/warmupSteps (Optax's `linear_schedule`).
 *
 * Warm-up keeps the first updates small while Adam's moment estimates (or large-batch statistics) settle.
 *
 * ## Example
 * ```ts
 * const lr = linearWarmup({ peak: 0.1, warmupSteps: 10 });
 * lr(0); // 0
 * lr(5); // 0.05
 * lr(10); // 0.1, and 0.1 after
 * ```
 *
 * @param config `initial` (default 0), `peak`, `warmupSteps`
 * @returns a pure schedule of the update count
 * @throws ConfigError synchronously, naming the field and value, for an invalid config
 * @see {@link warmupCosineDecay}
 */
export function linearWarmup(config: LinearWarmupOptions): Schedule {
  const { initial, peak, warmupSteps } = getOrThrow(validate(config));
  return (step) => initial + ((peak - initial) * Math.min(step, warmupSteps)) / warmupSteps;
}
