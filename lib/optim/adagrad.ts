import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ConfigError } from '../errors/ConfigError.js';
import { learningRateAt, learningRateOption, learningRateSpec } from '../internal/learningRate.js';
import { optionsObject } from '../internal/options.js';
import { checkSameParams, mapParams, paramAt, tidyTree } from '../internal/tensorMaps.js';
import { getOrThrow, nonNegative, withDefault } from '../internal/validate.js';
import type { Params } from '../params/types.js';
import type { GradientTransformation, LearningRate } from './types.js';

/** Options of {@link adagrad}: those of `tf.train.adagrad`, and its (otherwise fixed) epsilon. */
export interface AdagradOptions {
  /** A finite number > 0, or a schedule of the update count. */
  readonly learningRate: LearningRate;
  /** The starting value of every accumulator, >= 0; default 0.1 (as `tf.train.adagrad` and Optax). */
  readonly initialAccumulatorValue?: number;
  /** Added under the square root, >= 0; default 1e-7, the value `tf.train.adagrad` uses on float32. */
  readonly epsilon?: number;
}

/** The state of {@link adagrad}: the update count and the running sums of g². */
export interface AdagradState {
  readonly count: number;
  readonly sumOfSquares: Params;
}

const FN = 'adagrad';

const validate = (options: unknown) =>
  pipe(
    optionsObject(FN, ['learningRate', 'initialAccumulatorValue', 'epsilon'])(options),
    E.chain((o) =>
      pipe(
        E.Do,
        E.bind('learningRate', () => learningRateOption(FN)(o['learningRate'])),
        E.bind('initialAccumulatorValue', () =>
          withDefault(nonNegative(FN, 'initialAccumulatorValue'), 0.1)(o['initialAccumulatorValue']),
        ),
        E.bind('epsilon', () => withDefault(nonNegative(FN, 'epsilon'), 1e-7)(o['epsilon'])),
      ),
    ),
  ) satisfies E.Either<ConfigError, unknown>;

/**
 * Adagrad (Duchi et al.), as `tf.train.adagrad`: each weight's step shrinks with the sum of its squared
 * gradients, acc ← acc + g², update = −lr·g/√(acc + ε).
 *
 * Suits sparse features, whose rare gradients keep a large step; the step only ever shrinks, so for long
 * runs prefer {@link rmsprop} or {@link adam}.
 *
 * ## Example
 * ```ts
 * const opt = adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.1 });
 * const [updates, next] = opt.update(grads, opt.init(params), params);
 * ```
 *
 * @param options `learningRate` (number > 0 or schedule), `initialAccumulatorValue` >= 0 (default 0.1),
 * `epsilon` >= 0 (default 1e-7)
 * @returns a pure transform whose `init` and `update` return new tensors owned by the caller
 * @throws ConfigError synchronously, naming the field and value, for invalid options
 * @see {@link rmsprop}
 */
export function adagrad(options: AdagradOptions): GradientTransformation<AdagradState> {
  const { learningRate, initialAccumulatorValue, epsilon } = getOrThrow(validate(options));
  const fn = `${FN}.update`;
  return {
    init: (params) =>
      tidyTree(() => ({ count: 0, sumOfSquares: mapParams(params, (p) => tf.fill(p.shape, initialAccumulatorValue)) })),
    update: (grads, state, params) => {
      checkSameParams(fn, grads, params);
      checkSameParams(fn, state.sumOfSquares, params, 'accumulator');
      const lr = learningRateAt(FN, learningRate, state.count);
      return tidyTree(() => {
        const sumOfSquares = mapParams(grads, (g, name) => tf.add(paramAt(state.sumOfSquares, name, fn), tf.square(g)));
        const updates = mapParams(grads, (g, name) =>
          tf.mul(tf.div(g, tf.sqrt(tf.add(paramAt(sumOfSquares, name, fn), epsilon))), -lr),
        );
        return [updates, { count: state.count + 1, sumOfSquares }] as const;
      });
    },
    learningRate: (state) => learningRateAt(FN, learningRate, state.count),
    spec: { name: FN, learningRate: learningRateSpec(learningRate), initialAccumulatorValue, epsilon },
  };
}
