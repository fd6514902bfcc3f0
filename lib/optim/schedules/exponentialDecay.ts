import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { scheduleConfig } from '../../internal/scheduleOptions.js';
import { boolean, getOrThrow, integerAtLeast, nonNegative, positive, withDefault } from '../../internal/validate.js';
import type { Schedule } from '../types.js';

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** The rate at step 0, >= 0. */
  readonly initial: number;
  /** The factor applied every `decaySteps` steps, a finite number > 0 (< 1 decays). */
  readonly decayRate: number;
  /** The number of steps over which the rate is multiplied by `decayRate`, an integer >= 1. */
  readonly decaySteps: number;
  /** Decay in whole steps of `decaySteps` (a staircase) rather than continuously; default false. */
  readonly staircase?: boolean;
}

const FN = 'exponentialDecay';

const validate = scheduleConfig(FN, ['initial', 'decayRate', 'decaySteps', 'staircase'], (o) =>
  pipe(
    E.Do,
    E.bind('initial', () => nonNegative(FN, 'initial')(o['initial'])),
    E.bind('decayRate', () => positive(FN, 'decayRate')(o['decayRate'])),
    E.bind('decaySteps', () => integerAtLeast(FN, 'decaySteps', 1)(o['decaySteps'])),
    E.bind('staircase', () => withDefault(boolean(FN, 'staircase'), false)(o['staircase'])),
  ),
);

/**
 * Exponential decay: initial·decayRate^(step/decaySteps), with the exponent floored when `staircase`
 * (Optax's `exponential_decay`, TensorFlow's `ExponentialDecay`).
 *
 * ## Example
 * ```ts
 * const lr = exponentialDecay({ initial: 1, decayRate: 0.5, decaySteps: 10 });
 * lr(10); // 0.5
 * lr(15); // 0.3535… (0.5^1.5); with staircase: true, 0.5
 * ```
 *
 * @param config `initial`, `decayRate`, `decaySteps`, `staircase` (default false)
 * @returns a pure schedule of the update count
 * @throws ConfigError synchronously, naming the field and value, for an invalid config
 * @see {@link cosineDecay}, {@link piecewiseConstant}
 */
export function exponentialDecay(config: ExponentialDecayOptions): Schedule {
  const { initial, decayRate, decaySteps, staircase } = getOrThrow(validate(config));
  return (step) => {
    const p = step / decaySteps;
    return initial * decayRate ** (staircase ? Math.floor(p) : p);
  };
}
