import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { ParamMismatchError } from '../../lib/errors/ParamMismatchError.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import { writeParams } from '../../lib/models/writeParams.js';
import { adam } from '../../lib/optim/adam.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, lazyBatches, randomValues, relativeError, valuesOf } from '../support/fixtures.js';

const images = (n: number, seed: number) => {
  const xs = tf.tensor4d(randomValues(n * 8 * 8, seed), [n, 8, 8, 1]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i + seed) % 3), 'int32'), 3).toFloat());
  return { xs, ys };
};

const convNet = (extra: 'none' | 'dropout-batchnorm') =>
  tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      ...(extra === 'none' ? [] : [tf.layers.batchNormalization(), tf.layers.dropout({ rate: 0.25, seed: 1 })]),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });

/** tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tfjs issue 8474) unless gradstream registers one. */
const canTrainConv = () => tf.getBackend() !== 'wasm' || tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;

describe('fromLayersModel', () => {
  it('names the trainable weights as parameters and applies them in place of the variables', () => {
    const layers = convNet('none');
    const model = fromLayersModel(layers);
    // Unnamed layers are named by class and position in the model, not by tfjs's counters.
    expect(Object.keys(model.params)).toEqual(['conv2d_1/kernel', 'conv2d_1/bias', 'dense_1/kernel', 'dense_1/bias']);
    const before = tf.memory().numTensors;
    const { xs, ys } = images(4, 1);
    tf.tidy(() => {
      // Zero parameters give zero logits, whatever the variables hold.
      const zeros = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, tf.zerosLike(v)]));
      expect(Array.from(model.apply(zeros, xs).dataSync()).every((v) => v === 0)).toBe(true);
      // The variables themselves give what the Layers model predicts.
      expect(model.apply(model.params, xs).arraySync()).toEqual((layers.predict(xs) as tf.Tensor).arraySync());
      // After the call, the layers read their variables again.
      expect((layers.predict(xs) as tf.Tensor).arraySync()).toEqual(model.apply(model.params, xs).arraySync());
    });
    tf.dispose([xs, ys]);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });

  it('trains a Conv2D net exactly: micro-batches of 3 and N = 2 equal one update on the 6 examples', async (ctx) => {
    if (!canTrainConv()) return ctx.skip('no Conv2DBackpropFilter kernel on wasm');
    const layers = convNet('none');
    const model = fromLayersModel(layers);
    const before = tf.memory().numTensors;
    const run = (microBatchSize: number, accumulationSteps: number) =>
      collect(lazyBatches([() => images(6, 1)]).pipe(train({ model, loss: softmaxCrossEntropy, optimizer: sgd({ learningRate: 0.5 }), microBatchSize, accumulationSteps })));
    const [whole] = await run(6, 1);
    const [split] = await run(3, 2);
    expect(relativeError(valuesOf(split!.params), valuesOf(whole!.params))).toBeLessThanOrEqual(1e-5);
    disposeStep(whole);
    disposeStep(split);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });

  it('trains a model with BatchNormalization and Dropout, and writes the result back for predict', async (ctx) => {
    if (!canTrainConv()) return ctx.skip('no Conv2DBackpropFilter kernel on wasm');
    const layers = convNet('dropout-batchnorm');
    const model = fromLayersModel(layers, { batchStatistics: 'per-micro-batch' });
    const before = tf.memory().numTensors;
    const steps = await collect(
      lazyBatches([() => images(8, 1), () => images(8, 2)]).pipe(
        train({ model, loss: softmaxCrossEntropy, optimizer: adam({ learningRate: 0.01 }), microBatchSize: 4, accumulationSteps: 2 }),
      ),
    );
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    expect(Number.isFinite(steps[1]!.loss)).toBe(true);
    const last = steps.at(-1)!;
    writeParams(layers, last.params);
    const names = Object.keys(model.params);
    layers.trainableWeights.forEach((w, i) => expect(w.read().dataSync()).toEqual(last.params[names[i]!]!.dataSync()));
    disposeStep(last);
    // Written weights are copies: the step's tensors are gone, the model's stay valid.
    const { xs, ys } = images(2, 3);
    tf.tidy(() => {
      expect((layers.predict(xs) as tf.Tensor).shape).toEqual([2, 3]);
    });
    tf.dispose([xs, ys]);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });

  it('refuses a model with BatchNormalization unless per-micro-batch statistics are acknowledged, naming the layer', () => {
    const inner = tf.sequential({ layers: [tf.layers.batchNormalization({ name: 'inner_bn', inputShape: [3] })] });
    const input = tf.input({ shape: [3] });
    const nested = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(inner.apply(input)) as tf.SymbolicTensor });
    for (const [layers, name] of [[convNet('dropout-batchnorm'), 'batch_normalization'], [nested, 'inner_bn']] as const) {
      expect(() => fromLayersModel(layers)).toThrow(ConfigError);
      expect(() => fromLayersModel(layers)).toThrow(new RegExp(`fromLayersModel: batchStatistics must be 'per-micro-batch' for a model with layer '${name}[^']*' \\(BatchNormalization\\)`));
      expect(() => fromLayersModel(layers, { batchStatistics: 'per-micro-batch' })).not.toThrow();
      expect(() => fromLayersModel(layers, { batchStatistics: 'per-batch' as 'per-micro-batch' })).toThrow(/batchStatistics must be 'per-micro-batch' or absent, got "per-batch"/);
    }
    // A model without one needs no acknowledgement.
    expect(() => fromLayersModel(convNet('none'))).not.toThrow();
    nested.dispose();
  });

  it('names parameters alike in every copy of a model, so a state from one continues on another', async () => {
    const make = () => tf.sequential({ layers: [tf.layers.dense({ name: 'only', inputShape: [2], units: 1 })] });
    const [a, b] = [make(), make()];
    // tfjs makes variable names unique per process; parameter names are the layers' own.
    expect(a.trainableWeights[0]!.name).not.toBe(b.trainableWeights[0]!.name);
    expect(Object.keys(fromLayersModel(a).params)).toEqual(['only/kernel', 'only/bias']);
    expect(Object.keys(fromLayersModel(b).params)).toEqual(['only/kernel', 'only/bias']);
    const batch = () => ({ xs: tf.ones([2, 2]), ys: tf.zeros([2, 1]) });
    const [first] = await collect(lazyBatches([batch]).pipe(train({ model: fromLayersModel(a), loss: meanSquaredError, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })));
    const [next] = await collect(
      lazyBatches([batch]).pipe(
        train({ model: fromLayersModel(b), loss: meanSquaredError, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1, initialState: first!.state }),
      ),
    );
    expect(next!.step).toBe(2);
    disposeStep(first);
    disposeStep(next);
    a.dispose();
    b.dispose();
  });

  it('adapts a functional model', async () => {
    const input = tf.input({ shape: [4] });
    const hidden = tf.layers.dense({ units: 3, activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2 }).apply(hidden) as tf.SymbolicTensor;
    const layers = tf.model({ inputs: input, outputs: output });
    const model = fromLayersModel(layers);
    const before = tf.memory().numTensors;
    const batch = () => ({ xs: tf.tensor2d(randomValues(8, 5), [2, 4]), ys: tf.tensor2d([[1, 0], [0, 1]]) });
    const [step] = await collect(lazyBatches([batch]).pipe(train({ model, loss: softmaxCrossEntropy, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })));
    expect(Object.keys(step!.params)).toHaveLength(4);
    disposeStep(step);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });

  it('writeParams rejects a map with a missing weight, naming it', () => {
    const layers = convNet('none');
    const [first, ...rest] = Object.keys(fromLayersModel(layers).params);
    const partial = Object.fromEntries(rest.map((name, i) => [name, layers.trainableWeights[i + 1]!.read()]));
    expect(() => writeParams(layers, partial)).toThrow(ParamMismatchError);
    expect(() => writeParams(layers, partial)).toThrow(`'${first!}'`);
    layers.dispose();
  });
});
