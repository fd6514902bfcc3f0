import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { scheduleConfig } from '../../internal/scheduleOptions.js';
import { getOrThrow, integerAtLeast, nonNegative, withDefault } from '../../internal/validate.js';
import type { Schedule } from '../types.js';

/** Options of {@link cosineDecay}. */
export interface CosineDecayOptions {
  /** The rate at step 0, >= 0. */
  readonly initial: number;
  /** The number of steps of the decay, an integer >= 1; the rate stays at its end value afterwards. */
  readonly decaySteps: number;
  /** The end value as a fraction of `initial`, >= 0; default 0. */
  readonly alpha?: number;
}

const FN = 'cosineDecay';

const validate = scheduleConfig(FN, ['initial', 'decaySteps', 'alpha'], (o) =>
  pipe(
    E.Do,
    E.bind('initial', () => nonNegative(FN, 'initial')(o['initial'])),
    E.bind('decaySteps', () => integerAtLeast(FN, 'decaySteps', 1)(o['decaySteps'])),
    E.bind('alpha', () => withDefault(nonNegative(FN, 'alpha'), 0)(o['alpha'])),
  ),
);

/**
 * Cosine decay (Loshchilov & Hutter), as Optax's `cosine_decay_schedule`:
 * initial·((1 − α)·½(1 + cos(π·min(step, decaySteps)/decaySteps)) + α).
 *
 * Decays slowly at first and last, fastest in the middle; ends at α·initial and stays there.
 *
 * ## Example
 * ```ts
 * const lr = cosineDecay({ initial: 1, decaySteps: 100 });
 * lr(0); // 1
 * lr(50); // 0.5
 * lr(100); // 0, and 0 after
 * ```
 *
 * @param config `initial`, `decaySteps`, `alpha` (default 0)
 * @returns a pure schedule of the update count
 * @throws ConfigError synchronously, naming the field and value, for an invalid config
 * @see {@link warmupCosineDecay}, {@link exponentialDecay}
 */
export function cosineDecay(config: CosineDecayOptions): Schedule {
  const { initial, decaySteps, alpha } = getOrThrow(validate(config));
  return (step) => {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * Math.min(step, decaySteps)) / decaySteps));
    return initial * ((1 - alpha) * cosine + alpha);
  };
}
