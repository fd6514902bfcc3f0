// Regressions for issue 13 (defects 6, 7, empty params) and issue 8 point 6 (configuration errors that
// guide): each test failed before its fix.
import * as tf from '@tensorflow/tfjs';
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accumulate } from '../../lib/accumulate/accumulate.js';
import { trainTestSplit } from '../../lib/data/trainTestSplit.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { describeValue, MAX_DESCRIPTION } from '../../lib/internal/describeValue.js';
import { metrics } from '../../lib/monitor/metrics.js';
import { adam } from '../../lib/optim/adam.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import { train } from '../../lib/train/train.js';
import type { TrainOptions } from '../../lib/train/validateTrainOptions.js';
import type { Model } from '../../lib/models/types.js';
import type { TrainState } from '../../lib/train/types.js';
import { collect, disposeStep, linear, mse, toBatch, batchData } from '../support/fixtures.js';
import { expectNoLeaks } from '../support/leaks.js';

const configError = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
};

const noModel: Model = { params: {}, apply: (_p, xs) => xs };
const base = (model: Model = linear(3, 2)) => ({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 });

describe('misspelt option names are rejected, naming the nearest valid key (issue 13, defect 7)', () => {
  it('train rejects microbatchSize and suggests microBatchSize', () => {
    const options = { ...base(), microbatchSize: 16 } as unknown as TrainOptions<unknown>;
    const error = configError(() => train(options));
    expect(error.field).toBe('microbatchSize');
    expect(error.message).toContain('did you mean microBatchSize?');
    tf.dispose(Object.values(options.model.params));
  });

  it('metrics rejects examplesPerEpok and suggests examplesPerEpoch', () => {
    const error = configError(() => metrics({ examplesPerEpok: 8 } as never));
    expect(error.field).toBe('examplesPerEpok');
    expect(error.message).toContain('did you mean examplesPerEpoch?');
  });

  it('accumulate and trainTestSplit reject unknown keys too; a far-off key gets the list without a guess', () => {
    expect(configError(() => accumulate(2, { nonfinite: 'error' } as never)).message).toContain('did you mean nonFinite?');
    const examples = { images: new Float32Array(4), labels: new Float32Array(4), count: 4, features: 1, classes: 1 };
    const error = configError(() => trainTestSplit(examples, { trainSize: 2, testSize: 2, seed: 1, shuffle: true } as never));
    expect(error.message).toBe('trainTestSplit: shuffle must be absent (trainTestSplit takes trainSize, testSize, seed), got true');
  });
});

describe('train: configuration errors that guide (issue 8, point 6)', () => {
  it('a tf.LayersModel passed as model says to wrap it with fromLayersModel, in one short line', () => {
    const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const error = configError(() => train({ ...base(noModel), model: layers as never }));
    expect(error.field).toBe('model');
    expect(error.message).toContain('fromLayersModel(layersModel)');
    expect(error.message).toMatch(/got a Sequential$/);
    expect(error.message.length).toBeLessThan(200);
    layers.dispose();
  });

  it('a tfjs optimizer passed as optimizer names gradstream optimizers', () => {
    const tfjs = tf.train.adam();
    const model = linear(3, 2);
    const error = configError(() => train({ ...base(model), optimizer: tfjs as never }));
    tf.dispose(Object.values(model.params));
    expect(error.field).toBe('optimizer');
    expect(error.message).toMatch(/sgd, adam, adamw, rmsprop, adagrad/);
    expect(error.message).toMatch(/got an AdamOptimizer$/);
    tfjs.dispose();
  });

  it('model.params = {} is a ConfigError, not tfjs\'s "gradients() received an empty list of xs"', () => {
    const error = configError(() => train(base(noModel)));
    expect(error.field).toBe('model.params');
  });

  it('a disposed parameter is a ConfigError naming it', () => {
    const model = linear(3, 2);
    model.params['b']!.dispose();
    const error = configError(() => train(base(model)));
    expect(error.field).toBe('model.params.b');
    expect(error.message).toContain('(disposed)');
    model.params['w']!.dispose();
  });
});

describe('describeValue summarises values in error messages', () => {
  it.each([
    ['a LayersModel', () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] })],
    ['a long array', () => Array.from({ length: 1000 }, (_, i) => i)],
    ['a long string', () => 'x'.repeat(1000)],
    ['a wide object', () => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key${i}`, { nested: [i, i, i] }]))],
  ])('renders %s in at most %s characters', (_, make) => {
    const value = make();
    expect(describeValue(value).length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    if (value instanceof tf.LayersModel) value.dispose();
  });

  it('renders a tensor as its dtype and shape, and small values as written', () => {
    const t = tf.zeros([2, 3]);
    expect(describeValue(t)).toBe('a float32 tensor of shape [2, 3]');
    t.dispose();
    expect(describeValue({ learningRate: -1, betas: [0.9, 0.99] })).toBe('{ learningRate: -1, betas: [0.9, 0.99] }');
    expect(describeValue(Number.NaN)).toBe('NaN');
  });
});

describe('initialState from another optimizer is refused up front (issue 13, defect 6)', () => {
  /** One real update with `optimizer`, whose state is then offered to another optimizer. */
  const stateOf = async <S>(optimizer: GradientTransformation<S>) => {
    const model = linear(3, 2);
    const steps = await collect(of(toBatch(batchData(4, 3, 2, 1))).pipe(train({ ...base(model), optimizer })));
    return { model, last: steps[0]! };
  };

  it.each([
    ['sgd state into adam', sgd({ learningRate: 0.1 }), adam({ learningRate: 0.1 }), 'optimizerState.mu is missing'],
    ['adam state into chain(clip, adam)', adam({ learningRate: 0.1 }), chain(clipByGlobalNorm(1), adam({ learningRate: 0.1 })), 'a tuple of 2'],
    ['sgd state into sgd with momentum', sgd({ learningRate: 0.1 }), sgd({ learningRate: 0.1, momentum: 0.9 }), 'optimizerState.trace is missing'],
  ] as const)('%s: a ConfigError naming where the states differ, and no tensor made', async (_, from, to, where) => {
    const { model, last } = await stateOf(from as GradientTransformation<unknown>);
    await expectNoLeaks(() => {
      const error = configError(() =>
        train({ ...base(model), optimizer: to as GradientTransformation<unknown>, initialState: last.state as TrainState<unknown> }),
      );
      expect(error.field).toBe('initialState.optimizerState');
      expect(error.message).toContain(where);
    });
    disposeStep(last);
    tf.dispose(Object.values(model.params));
  });

  it('accepts the state of the same optimizer, chained ones included, and trains on from it', async () => {
    const optimizer = chain(clipByGlobalNorm(1), adam({ learningRate: 0.1 }));
    const { model, last } = await stateOf(optimizer);
    const [next] = await collect(
      of(toBatch(batchData(4, 3, 2, 2))).pipe(train({ ...base(model), optimizer, initialState: last.state })),
    );
    expect(next!.step).toBe(2);
    disposeStep(last);
    disposeStep(next);
    tf.dispose(Object.values(model.params));
  });

  it('refuses a disposed initialState', async () => {
    const { model, last } = await stateOf(sgd({ learningRate: 0.1 }));
    disposeStep(last);
    const error = configError(() => train({ ...base(model), initialState: last.state }));
    expect(error.message).toContain('disposed');
    tf.dispose(Object.values(model.params));
  });
});
