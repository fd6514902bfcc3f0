import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ConfigError } from '../errors/ConfigError.js';
import { adamOptions, adamTransform } from '../internal/adamMoments.js';
import { optionsObject } from '../internal/options.js';
import { getOrThrow } from '../internal/validate.js';
import type { Params } from '../params/types.js';
import type { GradientTransformation, LearningRate } from './types.js';

/** Options of {@link adam}. */
export interface AdamOptions {
  /** A finite number > 0, or a schedule of the update count. */
  readonly learningRate: LearningRate;
  /** Decay of the first-moment estimate, in [0, 1); default 0.9. */
  readonly beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1); default 0.999. */
  readonly beta2?: number;
  /** Added to √v̂ in the denominator, >= 0; default 1e-8 (`tf.train.adam`'s default is 1e-7). */
  readonly epsilon?: number;
}

/** The state of {@link adam} and {@link adamw}: the update count and the moment estimates. */
export interface AdamState {
  readonly count: number;
  /** First-moment (mean) estimates, one per parameter. */
  readonly mu: Params;
  /** Second-moment (uncentred variance) estimates, one per parameter. */
  readonly nu: Params;
}

const FN = 'adam';

const validate = (options: unknown) =>
  pipe(
    optionsObject(FN, ['learningRate', 'beta1', 'beta2', 'epsilon'])(options),
    E.chain((o) => adamOptions(FN, o)),
  ) satisfies E.Either<ConfigError, unknown>;

/**
 * Adam (Kingma & Ba), as `tf.train.adam`: moment estimates with bias correction by the update count.
 *
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², update = −lr · m̂ / (√v̂ + ε) with m̂ = m / (1−β₁ᵗ),
 * v̂ = v / (1−β₂ᵗ), t the number of updates including this one. Fed the same gradients and the same
 * epsilon, it reproduces `tf.train.adam(lr, beta1, beta2, epsilon)`. For decoupled weight decay use
 * {@link adamw}.
 *
 * ## Example
 * ```ts
 * const opt = adam({ learningRate: 1e-3 });
 * let state = opt.init(params);
 * const [updates, next] = opt.update(grads, state, params);
 * tf.dispose([state.mu, state.nu]); // the caller owns states and updates
 * state = next;
 * ```
 *
 * @param options `learningRate` (number > 0 or schedule), `beta1` and `beta2` in [0, 1) (defaults 0.9,
 * 0.999), `epsilon` >= 0 (default 1e-8)
 * @returns a pure transform whose `init` and `update` return new tensors owned by the caller
 * @throws ConfigError synchronously, naming the field and value, for invalid options
 * @see {@link adamw}, {@link chain}
 */
export function adam(options: AdamOptions): GradientTransformation<AdamState> {
  const { learningRate, ...hyper } = getOrThrow(validate(options));
  return adamTransform(FN, learningRate, hyper, 0);
}
