import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ensure, scheduleConfig } from '../../internal/scheduleOptions.js';
import { getOrThrow, integerAtLeast, nonNegative, positive, withDefault } from '../../internal/validate.js';
import type { Schedule } from '../types.js';

/** Options of {@link warmupCosineDecay}. */
export interface WarmupCosineDecayOptions {
  /** The rate at step 0, >= 0; default 0. */
  readonly initial?: number;
  /** The rate at the end of the warm-up, > 0. */
  readonly peak: number;
  /** Steps of the linear warm-up, an integer >= 0. */
  readonly warmupSteps: number;
  /** Total steps of warm-up plus decay (as Optax), an integer > warmupSteps. */
  readonly decaySteps: number;
  /** The rate at `decaySteps` and after, >= 0; default 0. */
  readonly end?: number;
}

const FN = 'warmupCosineDecay';

const validate = scheduleConfig(FN, ['initial', 'peak', 'warmupSteps', 'decaySteps', 'end'], (o) =>
  pipe(
    E.Do,
    E.bind('initial', () => withDefault(nonNegative(FN, 'initial'), 0)(o['initial'])),
    E.bind('peak', () => positive(FN, 'peak')(o['peak'])),
    E.bind('warmupSteps', () => integerAtLeast(FN, 'warmupSteps', 0)(o['warmupSteps'])),
    E.bind('decaySteps', () => integerAtLeast(FN, 'decaySteps', 1)(o['decaySteps'])),
    E.bind('end', () => withDefault(nonNegative(FN, 'end'), 0)(o['end'])),
    E.chain(
      ensure(
        FN,
        'decaySteps',
        (c) => c.decaySteps,
        (c) => `an integer > warmupSteps (${c.warmupSteps}): it counts the warm-up too`,
        (c) => c.decaySteps > c.warmupSteps,
      ),
    ),
  ),
);

/**
 * Linear warm-up from `initial` to `peak` over `warmupSteps`, then cosine decay from `peak` to `end`, reached
 * at step `decaySteps` (which includes the warm-up), as Optax's `warmup_cosine_decay_schedule`.
 *
 * The usual schedule for transformers and large batches: small first steps while statistics settle, then a
 * smooth anneal.
 *
 * ## Example
 * ```ts
 * const lr = warmupCosineDecay({ peak: 1, warmupSteps: 10, decaySteps: 110 });
 * lr(5); // 0.5 (warm-up)
 * lr(60); // 0.5 (half-way through the cosine)
 * lr(110); // 0
 * ```
 *
 * @param config `initial` (default 0), `peak`, `warmupSteps`, `decaySteps`, `end` (default 0)
 * @returns a pure schedule of the update count
 * @throws ConfigError synchronously, naming the field and value, for an invalid config
 * @see {@link linearWarmup}, {@link cosineDecay}
 */
export function warmupCosineDecay(config: WarmupCosineDecayOptions): Schedule {
  const { initial, peak, warmupSteps, decaySteps, end } = getOrThrow(validate(config));
  const span = decaySteps - warmupSteps;
  return (step) => {
    if (step < warmupSteps) return initial + ((peak - initial) * step) / warmupSteps;
    const cosine = 0.5 * (1 + Math.cos((Math.PI * Math.min(step - warmupSteps, span)) / span));
    return (peak - end) * cosine + end;
  };
}
