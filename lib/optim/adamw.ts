import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ConfigError } from '../errors/ConfigError.js';
import { adamOptions, adamTransform } from '../internal/adamMoments.js';
import { optionsObject } from '../internal/options.js';
import { getOrThrow, nonNegative, withDefault } from '../internal/validate.js';
import type { AdamOptions, AdamState } from './adam.js';
import type { GradientTransformation } from './types.js';

/** Options of {@link adamw}: those of {@link adam} and a weight decay. */
export interface AdamwOptions extends AdamOptions {
  /** The decoupled weight decay wd >= 0; default 0.01 (PyTorch's default). */
  readonly weightDecay?: number;
}

const FN = 'adamw';

const validate = (options: unknown) =>
  pipe(
    optionsObject(FN, ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'])(options),
    E.chain((o) =>
      pipe(
        adamOptions(FN, o),
        E.bind('weightDecay', () => withDefault(nonNegative(FN, 'weightDecay'), 0.01)(o['weightDecay'])),
      ),
    ),
  ) satisfies E.Either<ConfigError, unknown>;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's `AdamW`:
 * p ← p − lr·wd·p − lr·m̂/(√v̂ + ε).
 *
 * Use it rather than adding an L2 term to the loss: with Adam, an L2 gradient is rescaled by 1/√v̂, so
 * weights with large gradients are barely decayed; decoupled decay shrinks every weight by the same factor
 * lr·wd. Equivalent to `chain(adam-direction, addDecayedWeights(wd), scaleByLearningRate(lr))` (Optax), with
 * a single state.
 *
 * ## Example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), adamw({ learningRate: 1e-3, weightDecay: 0.01 }));
 * const state = opt.init(params);
 * const [updates, next] = opt.update(grads, state, params);
 * ```
 *
 * @param options those of {@link adam} and `weightDecay` >= 0 (default 0.01)
 * @returns a pure transform whose `init` and `update` return new tensors owned by the caller; `update` reads
 * `params` for the decay
 * @throws ConfigError synchronously, naming the field and value, for invalid options
 * @see {@link adam}, {@link addDecayedWeights}
 */
export function adamw(options: AdamwOptions): GradientTransformation<AdamState> {
  const { learningRate, weightDecay, ...hyper } = getOrThrow(validate(options));
  return adamTransform(FN, learningRate, hyper, weightDecay);
}
