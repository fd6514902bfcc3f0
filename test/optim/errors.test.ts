import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { ParamMismatchError } from '../../lib/errors/ParamMismatchError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { adagrad } from '../../lib/optim/adagrad.js';
import { adam } from '../../lib/optim/adam.js';
import { adamw } from '../../lib/optim/adamw.js';
import { addDecayedWeights } from '../../lib/optim/addDecayedWeights.js';
import { applyUpdates } from '../../lib/optim/applyUpdates.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { clipByValue } from '../../lib/optim/clipByValue.js';
import { rmsprop } from '../../lib/optim/rmsprop.js';
import { scale } from '../../lib/optim/scale.js';
import { scaleByLearningRate } from '../../lib/optim/scaleByLearningRate.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';

/** Asserts that `body` throws `type` with exactly `message`, having made no tensor. */
const rejects = (body: () => unknown, type: new (...args: never[]) => Error, message: string | RegExp) => {
  const before = tf.memory().numTensors;
  let thrown: unknown;
  try {
    body();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
  else expect((thrown as Error).message).toMatch(message);
  expect(tf.memory().numTensors, 'tensors made before the error').toBe(before);
  return thrown;
};

describe('constructors reject invalid options synchronously, naming function, field and value', () => {
  const LR = 'a finite number > 0 or a schedule (step) => number';
  it.each([
    ['a negative learning rate', () => adam({ learningRate: -1 }), `adam: learningRate must be ${LR}, got -1`],
    ['a zero learning rate', () => sgd({ learningRate: 0 }), `sgd: learningRate must be ${LR}, got 0`],
    ['a NaN learning rate', () => rmsprop({ learningRate: Number.NaN }), `rmsprop: learningRate must be ${LR}, got NaN`],
    ['a missing learning rate', () => adagrad({} as never), `adagrad: learningRate must be ${LR}, got undefined`],
    ['beta1 = 1', () => adam({ learningRate: 1, beta1: 1 }), 'adam: beta1 must be a number in [0, 1), got 1'],
    ['a negative beta2', () => adamw({ learningRate: 1, beta2: -0.1 }), 'adamw: beta2 must be a number in [0, 1), got -0.1'],
    ['a negative epsilon', () => adam({ learningRate: 1, epsilon: -1e-8 }), 'adam: epsilon must be a finite number >= 0, got -1e-8'],
    ['a negative weight decay', () => adamw({ learningRate: 1, weightDecay: -1 }), 'adamw: weightDecay must be a finite number >= 0, got -1'],
    ['momentum = 1', () => sgd({ learningRate: 1, momentum: 1 }), 'sgd: momentum must be a number in [0, 1), got 1'],
    [
      'Nesterov without momentum',
      () => sgd({ learningRate: 1, nesterov: true }),
      'sgd: nesterov must be false when momentum is 0 (Nesterov needs a momentum > 0), got true',
    ],
    ['a non-boolean centered', () => rmsprop({ learningRate: 1, centered: 'yes' as never }), 'rmsprop: centered must be a boolean, got "yes"'],
    [
      'a negative initial accumulator',
      () => adagrad({ learningRate: 1, initialAccumulatorValue: -1 }),
      'adagrad: initialAccumulatorValue must be a finite number >= 0, got -1',
    ],
    [
      'an option the optimizer does not take',
      () => sgd({ learningRate: 1, beta1: 0.9 } as never),
      'sgd: beta1 must be absent (sgd takes learningRate, momentum, nesterov), got 0.9',
    ],
    ['options that are not an object', () => adam(null as never), 'adam: options must be an object, got null'],
    ['a zero max norm', () => clipByGlobalNorm(0), 'clipByGlobalNorm: maxNorm must be a finite number > 0, got 0'],
    ['max < min', () => clipByValue(1, -1), 'clipByValue: max must be a number >= min (1), got -1'],
    ['a NaN bound', () => clipByValue(Number.NaN, 1), 'clipByValue: min must be a finite number, got NaN'],
    ['a negative decay rate', () => addDecayedWeights(-1), 'addDecayedWeights: rate must be a finite number >= 0, got -1'],
    ['an infinite factor', () => scale(Infinity), 'scale: factor must be a finite number, got Infinity'],
    ['a negative rate', () => scaleByLearningRate(-2), `scaleByLearningRate: learningRate must be ${LR}, got -2`],
  ])('%s', (_name, body, message) => {
    const e = rejects(body, ConfigError, message) as ConfigError;
    expect(e.fn).toBe(message.split(':')[0]);
  });
});

describe('update rejects gradients that do not match the parameters, before making any tensor', () => {
  const cases: ReadonlyArray<readonly [string, GradientTransformation<unknown>]> = [
    ['sgd', sgd({ learningRate: 0.1, momentum: 0.9 })],
    ['adam', adam({ learningRate: 0.1 })],
    ['adamw', adamw({ learningRate: 0.1 })],
    ['rmsprop', rmsprop({ learningRate: 0.1 })],
    ['adagrad', adagrad({ learningRate: 0.1 })],
    ['clipByGlobalNorm', clipByGlobalNorm(1)],
    ['chain', chain(scale(1), adam({ learningRate: 0.1 }))],
  ] as ReadonlyArray<readonly [string, GradientTransformation<unknown>]>;

  it.each(cases)('%s: a gradient of another shape names the parameter and both shapes', (name, t) => {
    const params = { w: tf.zeros([2]), b: tf.zeros([1]) };
    const grads = { w: tf.zeros([3]), b: tf.zeros([1]) };
    const state = t.init(params);
    const e = rejects(
      () => t.update(grads, state, params),
      ParamMismatchError,
      `${name}.update: parameter 'w': gradient shape [3] differs from parameter shape [2]`,
    ) as ParamMismatchError;
    expect(e.param).toBe('w');
    disposeTree([params, grads, state]);
  });

  it.each(cases)('%s: a missing gradient names the parameter', (name, t) => {
    const params = { w: tf.zeros([2]), b: tf.zeros([1]) };
    const grads = { w: tf.zeros([2]) };
    const state = t.init(params);
    rejects(() => t.update(grads, state, params), ParamMismatchError, `${name}.update: parameter 'b': no gradient for this parameter`);
    disposeTree([params, grads, state]);
  });

  it.each(cases)('%s: a gradient for an unknown parameter names it', (name, t) => {
    const params = { w: tf.zeros([2]) };
    const grads = { w: tf.zeros([2]), extra: tf.zeros([1]) };
    const state = t.init(params);
    rejects(() => t.update(grads, state, params), ParamMismatchError, `${name}.update: parameter 'extra': gradient for an unknown parameter`);
    disposeTree([params, grads, state]);
  });

  it('applyUpdates rejects updates of another shape', () => {
    const params = { w: tf.zeros([2]) };
    const updates = { w: tf.zeros([2, 1]) };
    rejects(() => applyUpdates(params, updates), ParamMismatchError, "applyUpdates: parameter 'w': update shape [2, 1] differs from parameter shape [2]");
    disposeTree([params, updates]);
  });
});

describe('a schedule that returns an invalid rate fails the update that asked for it', () => {
  it.each([
    ['NaN', Number.NaN, 'NaN'],
    ['a negative rate', -0.5, '-0.5'],
    ['Infinity', Infinity, 'Infinity'],
  ])('%s at step 2 is a ConfigError naming the step and the value', (_name, bad, shown) => {
    const t = adam({ learningRate: (step) => (step === 2 ? bad : 0.1) });
    const params = { w: tf.zeros([2]) };
    const grads = { w: tf.ones([2]) };
    let state = t.init(params);
    for (let i = 0; i < 2; i++) {
      const [u, next] = t.update(grads, state, params);
      disposeTree([u, state]);
      state = next;
    }
    const e = rejects(() => t.update(grads, state, params), ConfigError, `adam: learningRate(step 2) must be a finite number >= 0, got ${shown}`);
    expect((e as ConfigError).input).toBe(bad);
    disposeTree([params, grads, state]);
  });

  it('a chain whose state is not a tuple of its members is rejected', () => {
    const t = chain(scale(1));
    const params = { w: tf.zeros([2]) };
    rejects(() => t.update(params, [] as never, params), ConfigError, 'chain.update: state must be a tuple of 1 member states, got []');
    disposeTree(params);
  });
});
