import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ConfigError } from '../errors/ConfigError.js';
import { learningRateAt, learningRateOption, learningRateSpec } from '../internal/learningRate.js';
import { optionsObject } from '../internal/options.js';
import { checkSameParams, mapParams, paramAt, tidyTree } from '../internal/tensorMaps.js';
import { boolean, getOrThrow, nonNegative, unitInterval, withDefault } from '../internal/validate.js';
import type { Params } from '../params/types.js';
import type { GradientTransformation, LearningRate } from './types.js';

/** Options of {@link rmsprop}: those of `tf.train.rmsprop`. */
export interface RmspropOptions {
  /** A finite number > 0, or a schedule of the update count. */
  readonly learningRate: LearningRate;
  /** Decay of the mean square (and of the mean gradient when centred), in [0, 1); default 0.9. */
  readonly decay?: number;
  /** Momentum of the step accumulator, in [0, 1); default 0 (no accumulator kept). */
  readonly momentum?: number;
  /** Added under the square root, >= 0; default 1e-7, `tf.train.rmsprop`'s default on float32 backends. */
  readonly epsilon?: number;
  /** Normalise by the variance (mean square minus squared mean gradient) instead of the mean square. */
  readonly centered?: boolean;
}

/** The state of {@link rmsprop}. */
export interface RmspropState {
  readonly count: number;
  /** Decayed mean of g². */
  readonly meanSquare: Params;
  /** Decayed mean of g; present only when centred. */
  readonly meanGrad?: Params;
  /** The step accumulator; present only when momentum > 0. */
  readonly moment?: Params;
}

const FN = 'rmsprop';

const validate = (options: unknown) =>
  pipe(
    optionsObject(FN, ['learningRate', 'decay', 'momentum', 'epsilon', 'centered'])(options),
    E.chain((o) =>
      pipe(
        E.Do,
        E.bind('learningRate', () => learningRateOption(FN)(o['learningRate'])),
        E.bind('decay', () => withDefault(unitInterval(FN, 'decay'), 0.9)(o['decay'])),
        E.bind('momentum', () => withDefault(unitInterval(FN, 'momentum'), 0)(o['momentum'])),
        E.bind('epsilon', () => withDefault(nonNegative(FN, 'epsilon'), 1e-7)(o['epsilon'])),
        E.bind('centered', () => withDefault(boolean(FN, 'centered'), false)(o['centered'])),
      ),
    ),
  ) satisfies E.Either<ConfigError, unknown>;

/**
 * RMSProp (Hinton), as `tf.train.rmsprop`, including its momentum and centred variants.
 *
 * ms ← ρ·ms + (1−ρ)g²; plain: step = lr·g/√(ms + ε); centred: mg ← ρ·mg + (1−ρ)g and
 * step = lr·g/√(ms − mg² + ε); with momentum: mom ← μ·mom + step and the update is −mom, otherwise −step.
 * These are TensorFlow.js's formulas (the learning rate sits inside the momentum accumulator), so that it
 * reproduces `tf.train.rmsprop(lr, decay, momentum, epsilon, centered)` exactly, with one deliberate
 * exception: centred, tfjs 4.22 computes √(ms − (mg² + ε)), subtracting ε, which is NaN wherever the
 * variance estimate is below ε (a gradient that stays near zero). This adds ε, as TensorFlow's
 * `ApplyCenteredRMSProp` and Keras do; with ε = 0 the two agree exactly.
 *
 * ## Example
 * ```ts
 * const opt = rmsprop({ learningRate: 0.01, decay: 0.9, momentum: 0.5, centered: true });
 * const [updates, next] = opt.update(grads, opt.init(params), params);
 * ```
 *
 * @param options `learningRate` (number > 0 or schedule), `decay` and `momentum` in [0, 1) (defaults 0.9
 * and 0), `epsilon` >= 0 (default 1e-7), `centered` (default false)
 * @returns a pure transform whose `init` and `update` return new tensors owned by the caller
 * @throws ConfigError synchronously, naming the field and value, for invalid options
 * @see {@link adam}, {@link adagrad}
 */
export function rmsprop(options: RmspropOptions): GradientTransformation<RmspropState> {
  const { learningRate, decay, momentum, epsilon, centered } = getOrThrow(validate(options));
  const fn = `${FN}.update`;
  const zeros = (params: Params): Params => mapParams(params, (p) => tf.zerosLike(p));
  return {
    init: (params) =>
      tidyTree(() => ({
        count: 0,
        meanSquare: zeros(params),
        ...(centered ? { meanGrad: zeros(params) } : {}),
        ...(momentum > 0 ? { moment: zeros(params) } : {}),
      })),
    update: (grads, state, params) => {
      checkSameParams(fn, grads, params);
      checkSameParams(fn, state.meanSquare, params, 'mean square');
      if (centered) checkSameParams(fn, state.meanGrad ?? {}, params, 'mean gradient');
      if (momentum > 0) checkSameParams(fn, state.moment ?? {}, params, 'moment');
      const lr = learningRateAt(FN, learningRate, state.count);
      return tidyTree(() => {
        const meanSquare = mapParams(grads, (g, name) =>
          tf.add(tf.mul(paramAt(state.meanSquare, name, fn), decay), tf.mul(tf.square(g), 1 - decay)),
        );
        const oldMeanGrad = state.meanGrad ?? {};
        const meanGrad = centered
          ? mapParams(grads, (g, name) => tf.add(tf.mul(paramAt(oldMeanGrad, name, fn), decay), tf.mul(g, 1 - decay)))
          : undefined;
        const step = mapParams(grads, (g, name) => {
          const ms = paramAt(meanSquare, name, fn);
          const denominator =
            meanGrad === undefined
              ? tf.sqrt(tf.add(ms, epsilon))
              : tf.sqrt(tf.add(tf.sub(ms, tf.square(paramAt(meanGrad, name, fn))), epsilon));
          return tf.div(tf.mul(g, lr), denominator);
        });
        const oldMoment = state.moment ?? {};
        const moment =
          momentum > 0
            ? mapParams(step, (s, name) => tf.add(tf.mul(paramAt(oldMoment, name, fn), momentum), s))
            : undefined;
        const updates = mapParams(moment ?? step, (m) => tf.neg(m));
        const next: RmspropState = {
          count: state.count + 1,
          meanSquare,
          ...(meanGrad === undefined ? {} : { meanGrad }),
          ...(moment === undefined ? {} : { moment }),
        };
        return [updates, next] as const;
      });
    },
    learningRate: (state) => learningRateAt(FN, learningRate, state.count),
    spec: { name: FN, learningRate: learningRateSpec(learningRate), decay, momentum, epsilon, centered },
  };
}
