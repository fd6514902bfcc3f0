import * as tf from '@tensorflow/tfjs';
import { learningRateAt, learningRateOption, learningRateSpec } from '../internal/learningRate.js';
import { checkSameParams, mapParams } from '../internal/tensorMaps.js';
import { getOrThrow } from '../internal/validate.js';
import type { CountState, GradientTransformation, LearningRate } from './types.js';

/**
 * Scales updates by minus the learning rate, −lr·u: the last link of a hand-built optimizer.
 *
 * Use it after transforms that produce a direction (clipping, weight decay, a preconditioner), as Optax's
 * `scale_by_learning_rate`. With a schedule, the rate of an update is `schedule(count)`, count being the
 * updates made before it.
 *
 * ## Example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), addDecayedWeights(1e-4), scaleByLearningRate(cosineDecay({ initial: 0.1, decaySteps: 1000 })));
 * ```
 *
 * @param learningRate a finite number > 0 or a schedule
 * @returns a pure transform with `learningRate(state)`; `update` returns new tensors owned by the caller
 * @throws ConfigError synchronously for an invalid rate, and from `update` when a schedule returns a
 * non-finite or negative rate (naming the step and value)
 * @see {@link scale}, {@link chain}
 */
export function scaleByLearningRate(learningRate: LearningRate): GradientTransformation<CountState> {
  const lrOption = getOrThrow(learningRateOption('scaleByLearningRate')(learningRate));
  return {
    init: () => ({ count: 0 }),
    update: (grads, state, params) => {
      checkSameParams('scaleByLearningRate.update', grads, params);
      const lr = learningRateAt('scaleByLearningRate', lrOption, state.count);
      return [tf.tidy(() => mapParams(grads, (g) => tf.mul(g, -lr))), { count: state.count + 1 }];
    },
    learningRate: (state) => learningRateAt('scaleByLearningRate', lrOption, state.count),
    spec: { name: 'scaleByLearningRate', learningRate: learningRateSpec(lrOption) },
  };
}
