import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { adagrad } from '../../lib/optim/adagrad.js';
import { adam } from '../../lib/optim/adam.js';
import { adamw } from '../../lib/optim/adamw.js';
import { addDecayedWeights } from '../../lib/optim/addDecayedWeights.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { clipByValue } from '../../lib/optim/clipByValue.js';
import { rmsprop } from '../../lib/optim/rmsprop.js';
import { scale } from '../../lib/optim/scale.js';
import { scaleByLearningRate } from '../../lib/optim/scaleByLearningRate.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import type { Params } from '../../lib/params/types.js';
import { expectNoLeaks } from '../support/leaks.js';
import { countTensors } from './support.js';

const transforms: ReadonlyArray<readonly [string, GradientTransformation<unknown>]> = [
  ['sgd', sgd({ learningRate: 0.1 })],
  ['sgd with momentum', sgd({ learningRate: 0.1, momentum: 0.9 })],
  ['sgd with Nesterov', sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
  ['adam', adam({ learningRate: 0.1 })],
  ['adamw', adamw({ learningRate: 0.1 })],
  ['rmsprop', rmsprop({ learningRate: 0.1 })],
  ['centred rmsprop with momentum', rmsprop({ learningRate: 0.1, momentum: 0.9, centered: true })],
  ['adagrad', adagrad({ learningRate: 0.1 })],
  ['clipByGlobalNorm', clipByGlobalNorm(0.5)],
  ['clipByValue', clipByValue(-0.1, 0.1)],
  ['addDecayedWeights', addDecayedWeights(0.1)],
  ['scale', scale(2)],
  ['scaleByLearningRate', scaleByLearningRate((step) => 1 / (step + 1))],
  ['chain', chain(clipByGlobalNorm(1), chain(adam({ learningRate: 0.1 }), scale(0.5)), addDecayedWeights(0.1))],
  ['an empty chain', chain()],
] as ReadonlyArray<readonly [string, GradientTransformation<unknown>]>;

const inputs = (): { grads: Params; params: Params } => ({
  grads: { w: tf.tensor([[1, -2], [3, -4]]), b: tf.tensor([0.5]) },
  params: { w: tf.tensor([[0.1, 0.2], [0.3, 0.4]]), b: tf.tensor([-1]) },
});

describe('update creates exactly its outputs', () => {
  it.each(transforms)('%s: init creates only its state', (_name, t) =>
    expectNoLeaks(() => {
      const { grads, params } = inputs();
      const before = tf.memory().numTensors;
      const state = t.init(params);
      expect(tf.memory().numTensors - before).toBe(countTensors(state));
      disposeTree([grads, params, state]);
    }),
  );

  it.each(transforms)('%s: update creates its updates and new state tensors, and nothing else', (_name, t) =>
    expectNoLeaks(() => {
      const { grads, params } = inputs();
      let state = t.init(params);
      for (let i = 0; i < 3; i++) {
        const before = tf.memory().numTensors;
        const [updates, next] = t.update(grads, state, params);
        expect(tf.memory().numTensors - before).toBe(countTensors(updates, next));
        expect(countTensors(updates)).toBe(2);
        disposeTree([updates, state]);
        state = next;
      }
      disposeTree([grads, params, state]);
    }),
  );
});

describe('the error paths free what they made', () => {
  it('a chain whose second member rejects its schedule disposes what the first member made', () =>
    expectNoLeaks(() => {
      const { grads, params } = inputs();
      const t = chain(adam({ learningRate: 0.1 }), scaleByLearningRate(() => Number.NaN));
      const state = t.init(params);
      const before = tf.memory().numTensors;
      expect(() => t.update(grads, state, params)).toThrow(ConfigError);
      expect(tf.memory().numTensors).toBe(before);
      disposeTree([grads, params, state]);
    }));
});
