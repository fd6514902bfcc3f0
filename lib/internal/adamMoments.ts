/**
 * Adam's moment estimates and direction, shared by `adam` and `adamw`. Owned by lib/optim.
 */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { AdamState } from '../optim/adam.js';
import type { GradientTransformation, LearningRate } from '../optim/types.js';
import type { Params } from '../params/types.js';
import { learningRateAt, learningRateOption, learningRateSpec } from './learningRate.js';
import { checkSameParams, mapParams, paramAt, tidyTree } from './tensorMaps.js';
import { nonNegative, unitInterval, withDefault } from './validate.js';

/** The tensors of Adam's state: first (`mu`) and second (`nu`) moment estimates, one per parameter. */
export interface AdamMoments {
  readonly mu: Params;
  readonly nu: Params;
}

/** Adam's hyper-parameters. */
export interface AdamHyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/**
 * βᵗ as float32 arithmetic computes it, ((β·β)·β)…, each product rounded to float32: the value
 * TensorFlow.js's Adam keeps in its accumulator variable. Computed from t alone (the state stays the update
 * count); the last result is memoised so that consecutive updates cost one multiplication.
 */
const memo = new Map<number, { t: number; value: number }>();
function float32Power(beta: number, t: number): number {
  const b = Math.fround(beta);
  const last = memo.get(b);
  let [k, value] = last !== undefined && last.t <= t ? [last.t, last.value] : [1, b];
  while (k < t) {
    value = Math.fround(value * b);
    k++;
  }
  memo.set(b, { t, value });
  return value;
}

/** Zero moments for `params`; call inside `tf.tidy`. */
export const zeroMoments = (params: Params): AdamMoments => ({
  mu: mapParams(params, (p) => tf.zerosLike(p)),
  nu: mapParams(params, (p) => tf.zerosLike(p)),
});

/**
 * The next moments and the direction m̂ / (√v̂ + ε) of update number `count + 1`. Call inside `tf.tidy`.
 *
 * Bias correction divides by 1 − βᵗ with t = count + 1, the number of updates including this one. βᵗ is
 * computed from the float32 value of β, the value the tensors are multiplied by (as TensorFlow.js, which
 * keeps βᵗ in a float32 variable): with β₂ = 0.999, 1 − β₂ and 1 − float32(β₂) differ by 1.3e-5 relative.
 */
export function adamStep(
  fn: string,
  grads: Params,
  moments: AdamMoments,
  count: number,
  { beta1, beta2, epsilon }: AdamHyper,
): AdamMoments & { readonly direction: Params } {
  const t = count + 1;
  const correction1 = 1 - float32Power(beta1, t);
  const correction2 = 1 - float32Power(beta2, t);
  const mu: Record<string, tf.Tensor> = {};
  const nu: Record<string, tf.Tensor> = {};
  const direction: Record<string, tf.Tensor> = {};
  // One parameter at a time, each in its own tidy: the step's intermediates never exist for every
  // parameter at once, so the optimizer's peak memory is a few copies of the parameters, not a dozen.
  for (const [name, g] of Object.entries(grads)) {
    [mu[name], nu[name], direction[name]] = tf.tidy(() => {
      const m = tf.add(tf.mul(paramAt(moments.mu, name, fn), beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(paramAt(moments.nu, name, fn), beta2), tf.mul(tf.square(g), 1 - beta2));
      const mHat = tf.div(m, correction1);
      const vHat = tf.div(v, correction2);
      return [m, v, tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon))];
    });
  }
  return { mu, nu, direction };
}

/**
 * The transform behind `adam` (`weightDecay` 0) and `adamw`: update = −lr · (m̂ / (√v̂ + ε) + wd · p).
 * With no decay the `wd · p` term is not computed at all, so `adam` stays bit-identical to tf.train.adam.
 *
 * @param name the public function, for error messages (`adam`, `adamw`)
 */
export function adamTransform(
  name: string,
  learningRate: LearningRate,
  hyper: AdamHyper,
  weightDecay: number,
): GradientTransformation<AdamState> {
  const fn = `${name}.update`;
  return {
    init: (params) => tidyTree(() => ({ count: 0, ...zeroMoments(params) })),
    update: (grads, state, params) => {
      checkSameParams(fn, grads, params);
      checkSameParams(fn, state.mu, params, 'first moment');
      checkSameParams(fn, state.nu, params, 'second moment');
      const lr = learningRateAt(name, learningRate, state.count);
      return tidyTree(() => {
        const { mu, nu, direction } = adamStep(fn, grads, state, state.count, hyper);
        const updates = mapParams(direction, (d, p) =>
          tf.mul(weightDecay === 0 ? d : tf.add(d, tf.mul(paramAt(params, p, fn), weightDecay)), -lr),
        );
        return [updates, { count: state.count + 1, mu, nu }] as const;
      });
    },
    learningRate: (state) => learningRateAt(name, learningRate, state.count),
    spec: { name, learningRate: learningRateSpec(learningRate), ...hyper, ...(weightDecay === 0 && name === 'adam' ? {} : { weightDecay }) },
  };
}

/**
 * The options `adam` and `adamw` share, validated for the public function `fn`: the learning rate, the betas
 * (defaults 0.9 and 0.999) and epsilon (default 1e-8). Data-last, to extend with `E.bind`.
 */
export const adamOptions = (fn: string, o: Readonly<Record<string, unknown>>) =>
  pipe(
    E.Do,
    E.bind('learningRate', () => learningRateOption(fn)(o['learningRate'])),
    E.bind('beta1', () => withDefault(unitInterval(fn, 'beta1'), 0.9)(o['beta1'])),
    E.bind('beta2', () => withDefault(unitInterval(fn, 'beta2'), 0.999)(o['beta2'])),
    E.bind('epsilon', () => withDefault(nonNegative(fn, 'epsilon'), 1e-8)(o['epsilon'])),
  );
