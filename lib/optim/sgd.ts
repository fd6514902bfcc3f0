import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors/ConfigError.js';
import { learningRateAt, learningRateOption, learningRateSpec } from '../internal/learningRate.js';
import { optionsObject } from '../internal/options.js';
import { checkSameParams, mapParams, paramAt, tidyTree } from '../internal/tensorMaps.js';
import { boolean, getOrThrow, unitInterval, withDefault } from '../internal/validate.js';
import type { Params } from '../params/types.js';
import type { GradientTransformation, LearningRate } from './types.js';

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** A finite number > 0, or a schedule of the update count. */
  readonly learningRate: LearningRate;
  /** The momentum m in [0, 1) of the trace v ← m·v + g; 0 (the default) keeps no trace. */
  readonly momentum?: number;
  /** Nesterov's variant: steps along g + m·v instead of v. Needs a momentum > 0. */
  readonly nesterov?: boolean;
}

/** The state of {@link sgd}: the update count, and the momentum trace when the momentum is > 0. */
export interface SgdState {
  readonly count: number;
  readonly trace?: Params;
}

interface SgdConfig {
  readonly learningRate: LearningRate;
  readonly momentum: number;
  readonly nesterov: boolean;
}

const FN = 'sgd';

/** Validates the options of {@link sgd}: pure, data-last. */
const validateSgdOptions = (options: unknown): E.Either<ConfigError, SgdConfig> =>
  pipe(
    optionsObject(FN, ['learningRate', 'momentum', 'nesterov'])(options),
    E.chain((o) =>
      pipe(
        E.Do,
        E.bind('learningRate', () => learningRateOption(FN)(o['learningRate'])),
        E.bind('momentum', () => withDefault(unitInterval(FN, 'momentum'), 0)(o['momentum'])),
        E.bind('nesterov', () => withDefault(boolean(FN, 'nesterov'), false)(o['nesterov'])),
      ),
    ),
    E.chain((c) =>
      c.nesterov && c.momentum === 0
        ? E.left(new ConfigError(FN, 'nesterov', true, 'false when momentum is 0 (Nesterov needs a momentum > 0)'))
        : E.right(c),
    ),
  );

/**
 * Stochastic gradient descent, with optional momentum and Nesterov momentum, as `tf.train.sgd` and
 * `tf.train.momentum`.
 *
 * The formulas are TensorFlow.js's, so that a model trained with `tf.train.momentum(lr, m, nesterov)`
 * trains identically here: the trace is v ← m·v + g (no dampening), the update is −lr·v, or −lr·(g + m·v)
 * with Nesterov. The learning rate sits outside the trace, so a schedule changes the step, not the trace.
 *
 * ## Example
 * ```ts
 * const opt = sgd({ learningRate: 0.1, momentum: 0.9 });
 * const state = opt.init(params);
 * const [updates, next] = opt.update(grads, state, params);
 * const newParams = applyUpdates(params, updates);
 * ```
 *
 * @param options `learningRate` (number > 0 or schedule), `momentum` in [0, 1) (default 0), `nesterov`
 * (default false; needs momentum > 0)
 * @returns a pure transform. `init` and `update` return new tensors owned by the caller and never dispose,
 * mutate or keep what they are given.
 * @throws ConfigError synchronously, naming the field and value, for invalid options
 * @see {@link optimizerFromName} (its `momentum` is sgd with momentum 0.9), {@link applyUpdates}
 */
export function sgd(options: SgdOptions): GradientTransformation<SgdState> {
  const { learningRate, momentum, nesterov } = getOrThrow(validateSgdOptions(options));
  const fn = `${FN}.update`;
  return {
    init: (params) =>
      momentum > 0 ? { count: 0, trace: tidyTree(() => mapParams(params, (p) => tf.zerosLike(p))) } : { count: 0 },
    update: (grads, state, params) => {
      checkSameParams(fn, grads, params);
      if (momentum > 0) checkSameParams(fn, state.trace ?? {}, params, 'momentum trace');
      const lr = learningRateAt(FN, learningRate, state.count);
      return tidyTree(() => {
        const old = state.trace;
        if (momentum === 0 || old === undefined) return [mapParams(grads, (g) => tf.mul(g, -lr)), { count: state.count + 1 }] as const;
        const trace = mapParams(grads, (g, name) => tf.add(tf.mul(paramAt(old, name, fn), momentum), g));
        const updates = mapParams(grads, (g, name) =>
          nesterov ? tf.mul(tf.add(g, tf.mul(paramAt(trace, name, fn), momentum)), -lr) : tf.mul(paramAt(trace, name, fn), -lr),
        );
        return [updates, { count: state.count + 1, trace }] as const;
      });
    },
    learningRate: (state) => learningRateAt(FN, learningRate, state.count),
    spec: { name: FN, learningRate: learningRateSpec(learningRate), momentum, nesterov },
  };
}
