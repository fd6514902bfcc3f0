import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { ParamMismatchError } from '../../lib/errors/ParamMismatchError.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';

describe('fromLayersModel', () => {
  const dense = (extra: Record<string, unknown> = {}) =>
    tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'ones', ...extra })] });

  it('leaves the layers reading their variables when apply is given a map with a missing weight', () => {
    const layers = dense();
    const model = fromLayersModel(layers);
    const [kernel] = Object.keys(model.params);
    const xs = tf.ones([1, 2]);
    tf.tidy(() => {
      expect(() => model.apply({ [kernel!]: tf.zeros([2, 1]) }, xs)).toThrow(ParamMismatchError);
      // The variables (kernel of ones) are what predict uses, not the zeros given above.
      expect((layers.predict(xs) as tf.Tensor).dataSync()[0]).toBe(2);
    });
    xs.dispose();
    layers.dispose();
  });

  it('leaves a weight reading what it read before the call, so calls can nest', () => {
    const layers = dense({ useBias: false });
    const model = fromLayersModel(layers);
    const [kernel] = Object.keys(model.params);
    const weight = layers.trainableWeights[0]!;
    const xs = tf.ones([1, 2]);
    tf.tidy(() => {
      // An enclosing call has the weight reading twos; a nested call with threes must hand them back.
      const twos = tf.fill([2, 1], 2);
      Object.defineProperty(weight, 'read', { value: () => twos, configurable: true, writable: true });
      expect(model.apply({ [kernel!]: tf.fill([2, 1], 3) }, xs).dataSync()[0]).toBe(6);
      expect(weight.read()).toBe(twos);
      delete (weight as { read?: unknown }).read;
      expect((layers.predict(xs) as tf.Tensor).dataSync()[0]).toBe(2); // the variable: ones
    });
    xs.dispose();
    layers.dispose();
  });

  it('refuses a model with a layer regularizer, rather than training without it', () => {
    const layers = dense({ kernelRegularizer: tf.regularizers.l2({ l2: 10 }) });
    expect(() => fromLayersModel(layers)).toThrow(ConfigError);
    expect(() => fromLayersModel(layers)).toThrow(/kernelRegularizer must be absent/);
    layers.dispose();
  });
});
