// Regressions for issue 13's Layers-adapter defects (4, 8, 9, 10, 11): each test failed before its fix.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { writeParams } from '../../lib/models/writeParams.js';
import { evaluate } from '../../lib/monitor/evaluate.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, lazyBatches, randomValues } from '../support/fixtures.js';
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

/** A functional model around two nested Sequentials, each with a layer named `hidden`. */
const twoEncoders = (extra: Record<string, unknown> = {}) => {
  const encoder = (name: string) =>
    tf.sequential({ name, layers: [tf.layers.dense({ name: 'hidden', inputShape: [3], units: 2, ...extra })] });
  const input = tf.input({ shape: [3] });
  const a = encoder('encoderA').apply(input) as tf.SymbolicTensor;
  const b = encoder('encoderB').apply(input) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'join' }).apply([a, b]) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: 'head', units: 1 }).apply(joined) as tf.SymbolicTensor;
  return tf.model({ name: 'twoEncoders', inputs: input, outputs: output });
};

describe('fromLayersModel refuses a regularizer at any depth (issue 13, defect 4)', () => {
  it('inside a nested model, naming the layer by its path', () => {
    const layers = twoEncoders({ kernelRegularizer: tf.regularizers.l2({ l2: 10 }) });
    const error = configError(() => fromLayersModel(layers));
    expect(error.field).toBe("layer 'encoderA/hidden' kernelRegularizer");
    layers.dispose();
  });

  it('inside a wrapper (a Bidirectional LSTM) nested two models deep', () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.bidirectional({ layer: tf.layers.lstm({ name: 'lstm', units: 2, recurrentRegularizer: tf.regularizers.l2() }) as tf.RNN, inputShape: [4, 3] })],
    });
    const middle = tf.sequential({ name: 'middle', layers: [inner] });
    const outer = tf.sequential({ name: 'outer', layers: [middle, tf.layers.dense({ units: 1 })] });
    const error = configError(() => fromLayersModel(outer));
    expect(error.field).toMatch(/^layer 'middle\/inner\/.*lstm' recurrentRegularizer$/);
    outer.dispose();
  });
});

describe('weight constraints are refused, never half-applied (issue 13, defect 8)', () => {
  const constrained = () =>
    tf.sequential({ layers: [tf.layers.dense({ name: 'd', inputShape: [2], units: 1, kernelConstraint: tf.constraints.maxNorm({ maxValue: 1 }) })] });

  it('writeParams refuses a layer with a kernelConstraint before writing: no tensor leaks, the layer keeps its values', async () => {
    const layers = constrained();
    const kernel = layers.trainableWeights[0]!;
    const before = kernel.read().dataSync().slice();
    const params = { 'd/kernel': tf.fill([2, 1], 5), 'd/bias': tf.zeros([1]) };
    await expectNoLeaks(() => {
      for (let i = 0; i < 3; i++) expect(configError(() => writeParams(layers, params)).field).toBe("layer 'd' kernelConstraint");
    });
    expect(kernel.read().dataSync()).toEqual(before);
    tf.dispose(Object.values(params));
    layers.dispose();
  });

  it('fromLayersModel refuses it too, inside a nested model', () => {
    const outer = tf.sequential({ name: 'outer', layers: [constrained()] });
    expect(configError(() => fromLayersModel(outer)).field).toMatch(/^layer '.*\/d' kernelConstraint$/);
    outer.dispose();
  });
});

describe('fromLayersModel refuses models with several inputs or outputs (issue 13, defect 9)', () => {
  it('several inputs: a ConfigError naming them, not a TypeError at the first micro-batch', () => {
    const a = tf.input({ shape: [2], name: 'left' });
    const b = tf.input({ shape: [2], name: 'right' });
    const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const layers = tf.model({ inputs: [a, b], outputs: tf.layers.dense({ units: 1 }).apply(joined) as tf.SymbolicTensor });
    const error = configError(() => fromLayersModel(layers));
    expect(error.field).toBe('layersModel.inputs');
    expect(error.message).toContain('one xs and one ys');
    layers.dispose();
  });

  it('several outputs', () => {
    const input = tf.input({ shape: [2] });
    const heads = [tf.layers.dense({ units: 1 }).apply(input), tf.layers.dense({ units: 3 }).apply(input)] as tf.SymbolicTensor[];
    const layers = tf.model({ inputs: input, outputs: heads });
    expect(configError(() => fromLayersModel(layers)).field).toBe('layersModel.outputs');
    layers.dispose();
  });

  it('a model with no trainable weight', () => {
    const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, trainable: false })] });
    expect(configError(() => fromLayersModel(layers)).field).toBe('layersModel.trainableWeights');
    layers.dispose();
  });
});

describe('inference mode (issue 13, defect 10)', () => {
  const withDropoutAndBatchNorm = () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ name: 'd1', inputShape: [4], units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ name: 'd2', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
  const movingMean = (layers: tf.LayersModel) => layers.getLayer('bn').getWeights()[2]!.dataSync().slice();
  const xs = () => tf.tensor2d(randomValues(16 * 4, 3, 2), [16, 4]);

  it('apply with { training: false } is deterministic and leaves BatchNormalization moving statistics untouched', async () => {
    const layers = withDropoutAndBatchNorm();
    const model = fromLayersModel(layers, { batchStatistics: 'per-micro-batch' });
    const input = xs();
    const mean = movingMean(layers);
    await expectNoLeaks(() =>
      tf.tidy(() => {
        const first = model.apply(model.params, input, { training: false }).dataSync();
        const second = model.apply(model.params, input, { training: false }).dataSync();
        expect(second).toEqual(first);
        // Without options it is inference too, as tfjs's own apply; and it equals predict.
        expect(model.apply(model.params, input).dataSync()).toEqual(first);
        expect((layers.predict(input) as tf.Tensor).dataSync()).toEqual(first);
      }),
    );
    expect(movingMean(layers)).toEqual(mean);
    // The training path is live: it moves the moving mean (so the assertion above could fail).
    tf.tidy(() => model.apply(model.params, input, { training: true }));
    expect(movingMean(layers)).not.toEqual(mean);
    input.dispose();
    layers.dispose();
  });

  it('evaluate scores in inference mode: the same score twice, moving statistics untouched, no tensor left', async () => {
    const layers = withDropoutAndBatchNorm();
    const model = fromLayersModel(layers, { batchStatistics: 'per-micro-batch' });
    const count = 20;
    const labels = new Float32Array(count * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    const score = evaluate({ model, loss: softmaxCrossEntropy, examples: { count, features: 4, classes: 3, images: randomValues(count * 4, 9, 2), labels }, batchSize: 7 });
    const mean = movingMean(layers);
    const [a, b] = await expectNoLeaks(() => [score(model.params), score(model.params)]);
    expect(b).toEqual(a);
    expect(movingMean(layers)).toEqual(mean);
    layers.dispose();
  });

  it('train still runs the layers in training mode: BatchNormalization statistics move as it trains', async () => {
    const layers = withDropoutAndBatchNorm();
    const model = fromLayersModel(layers, { batchStatistics: 'per-micro-batch' });
    const mean = movingMean(layers);
    const batch = () => ({ xs: xs(), ys: tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3).toFloat() });
    const [step] = await collect(lazyBatches([batch]).pipe(train({ model, loss: softmaxCrossEntropy, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })));
    expect(movingMean(layers)).not.toEqual(mean);
    disposeStep(step);
    layers.dispose();
  });
});

describe('parameter names are a function of the model structure (issue 13, defect 11)', () => {
  it('two nested models with same-named layers get path names, the same in every fresh build', () => {
    const first = twoEncoders();
    // Other models built in between move tfjs's process-wide name counters.
    const noise = [twoEncoders(), twoEncoders()];
    const second = twoEncoders();
    const expected = ['encoderA/hidden/kernel', 'encoderA/hidden/bias', 'encoderB/hidden/kernel', 'encoderB/hidden/bias', 'head/kernel', 'head/bias'];
    expect(Object.keys(fromLayersModel(first).params)).toEqual(expected);
    expect(Object.keys(fromLayersModel(second).params)).toEqual(expected);
    for (const m of [first, second, ...noise]) m.dispose();
  });

  it('a state from one build continues on a fresh build of the same model', async () => {
    const [a, b] = [twoEncoders(), twoEncoders()];
    const batch = () => ({ xs: tf.tensor2d(randomValues(12, 4), [4, 3]), ys: tf.zeros([4, 1]) });
    const options = { loss: meanSquaredError, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 };
    const [first] = await collect(lazyBatches([batch]).pipe(train({ model: fromLayersModel(a), ...options })));
    const [next] = await collect(lazyBatches([batch]).pipe(train({ model: fromLayersModel(b), ...options, initialState: first!.state })));
    expect(next!.step).toBe(2);
    disposeStep(first);
    disposeStep(next);
    a.dispose();
    b.dispose();
  });
});
