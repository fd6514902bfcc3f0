import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { ShapeMismatchError } from '../../lib/errors/ShapeMismatchError.js';
import { binaryCrossentropy } from '../../lib/models/losses/binaryCrossentropy.js';
import { categoricalCrossentropy } from '../../lib/models/losses/categoricalCrossentropy.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import { sparseCategoricalCrossentropy } from '../../lib/models/losses/sparseCategoricalCrossentropy.js';
import { lossFromName } from '../../lib/models/lossFromName.js';

/** The values of what `f` returns, checking that nothing else was left alive. */
const values = (f: () => tf.Tensor): number[] => {
  const before = tf.memory().numTensors;
  const t = tf.tidy(f);
  const out = Array.from(t.dataSync());
  t.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return out;
};

/** Asserts a and b agree to 1e-6, relative to max(1, |b|). */
const expectClose = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): void => {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(b[i]!))));
};

const KERAS_EPSILON = 1e-7;
/** Keras's clipping as float32 tensors do it: 1 − 1e-7 rounds to 1 − 1.19e-7 in float32, in Keras as here. */
const clip = (p: number): number => Math.min(Math.max(Math.fround(p), Math.fround(KERAS_EPSILON)), Math.fround(1 - KERAS_EPSILON));

// Probabilities on a grid of 1/1000, including the exact 0 and 1 that the clipping is for.
const probability = fc.integer({ min: 0, max: 1000 }).map((i) => i / 1000);

/**
 * The per-example loss tfjs-layers computes for a model compiled with `loss: name`, the one model.fit
 * differentiates: a model whose output is its input, compiled with that name, evaluated on one row at a time.
 */
function compiledLoss(name: string, labels: tf.Tensor, predictions: tf.Tensor): number[] {
  const before = tf.memory().numTensors;
  const model = tf.sequential({ layers: [tf.layers.activation({ activation: 'linear', inputShape: predictions.shape.slice(1) })] });
  model.compile({ optimizer: 'sgd', loss: name });
  const rows = Array.from({ length: predictions.shape[0]! }, (_, i) =>
    tf.tidy(() => {
      const loss = model.evaluate(predictions.slice(i, 1), labels.slice(i, 1)) as tf.Scalar;
      return loss.dataSync()[0]!;
    }),
  );
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return rows;
}

describe('losses on probabilities, against tfjs-layers (what compile uses) and Keras by hand', () => {
  it('categoricalCrossentropy equals the loss compile picks for its name to 1e-6, for any rows with some mass', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(probability, { minLength: 3, maxLength: 3 }), fc.nat(2)), { minLength: 1, maxLength: 6 }), (rows) => {
        const ps = rows.map(([p]) => (p.some((x) => x > 0) ? p : [1, 0, 0]));
        const labels = rows.map(([, k]) => [0, 1, 2].map((j) => (j === k ? 1 : 0)));
        const ours = values(() => categoricalCrossentropy(tf.tensor2d(labels), tf.tensor2d(ps)));
        const [l, p] = [tf.tensor2d(labels), tf.tensor2d(ps)];
        const theirs = compiledLoss('categoricalCrossentropy', l, p);
        tf.dispose([l, p]);
        expectClose(ours, theirs);
      }),
      { numRuns: 40 },
    );
  });

  it('categoricalCrossentropy by hand: p normalised, clipped at 1e-7, −log of the true class', () => {
    // Row 1: p = [0.2, 0.2, 0.6] → −ln 0.6. Row 2: the true class has p = 0 → −ln 1e-7 = 16.118.
    // Row 3: unnormalised [1, 1, 2] → p = 0.5 for the true class → ln 2.
    const ours = values(() => categoricalCrossentropy(tf.tensor2d([[0, 0, 1], [1, 0, 0], [0, 0, 1]]), tf.tensor2d([[0.2, 0.2, 0.6], [0, 0, 1], [1, 1, 2]])));
    expectClose(ours, [-Math.log(0.6), -Math.log(KERAS_EPSILON), Math.LN2]);
  });

  it('sparseCategoricalCrossentropy equals the loss compile picks for its name, and categoricalCrossentropy of the one-hot labels', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(probability, { minLength: 4, maxLength: 4 }), fc.nat(3)), { minLength: 1, maxLength: 6 }), (rows) => {
        const ps = tf.tensor2d(rows.map(([p]) => (p.some((x) => x > 0) ? p : [0, 1, 0, 0])));
        const labels = tf.tensor1d(rows.map(([, k]) => k));
        const ours = values(() => sparseCategoricalCrossentropy(labels, ps));
        const theirs = compiledLoss('sparseCategoricalCrossentropy', labels, ps);
        const viaOneHot = values(() => categoricalCrossentropy(tf.oneHot(tf.cast(labels, 'int32'), 4), tf.clipByValue(ps, KERAS_EPSILON, 1 - KERAS_EPSILON)));
        tf.dispose([ps, labels]);
        expectClose(ours, theirs);
        expectClose(ours, viaOneHot);
      }),
      { numRuns: 40 },
    );
  });

  it('sparseCategoricalCrossentropy takes labels of shape [batch] or [batch, 1], and refuses others', () => {
    const ps = tf.tensor2d([[0.25, 0.75], [0.5, 0.5]]);
    expectClose(values(() => sparseCategoricalCrossentropy(tf.tensor2d([[1], [0]]), ps)), [-Math.log(0.75), Math.LN2]);
    expect(() => sparseCategoricalCrossentropy(tf.tensor2d([[0, 1], [1, 0]]), ps)).toThrow(ShapeMismatchError);
    expect(() => sparseCategoricalCrossentropy(tf.tensor1d([1, 0, 1]), ps)).toThrow(ShapeMismatchError);
    ps.dispose();
  });

  it('binaryCrossentropy equals the loss compile picks for its name, and Keras −[z·log p + (1 − z)·log(1 − p)] with p clipped, to 1e-6', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(probability, fc.constantFrom(0, 1)), { minLength: 2, maxLength: 8 }), (pairs) => {
        const rows = [pairs.map(([p]) => p), pairs.map(([, z]) => z)];
        const p = tf.tensor2d([rows[0]!]);
        const z = tf.tensor2d([rows[1]!]);
        const ours = values(() => binaryCrossentropy(z, p));
        const theirs = compiledLoss('binaryCrossentropy', z, p);
        const keras = pairs.reduce((s, [q, t]) => s - (t * Math.log(clip(q)) + (1 - t) * Math.log(1 - clip(q))), 0) / pairs.length;
        tf.dispose([p, z]);
        expectClose(ours, theirs);
        expectClose(ours, [keras]);
      }),
      { numRuns: 40 },
    );
  });

  it('binaryCrossentropy matches tf.losses.logLoss (Keras with ε added in the logarithm) to 1e-6 away from 0 and 1', () => {
    const p = tf.tensor2d([[0.1], [0.5], [0.93]]);
    const z = tf.tensor2d([[1], [0], [1]]);
    const ours = values(() => binaryCrossentropy(z, p));
    const logLoss = values(() => tf.losses.logLoss(z, p, undefined, KERAS_EPSILON, tf.Reduction.NONE).reshape([-1]));
    tf.dispose([p, z]);
    expectClose(ours, logLoss);
  });

  it.each([
    ['categoricalCrossentropy', categoricalCrossentropy],
    ['binaryCrossentropy', binaryCrossentropy],
  ] as const)('%s refuses predictions whose shape differs from the labels', (name, loss) => {
    const [labels, predictions] = [tf.zeros([4, 1]), tf.zeros([4, 2])];
    expect(() => loss(labels, predictions)).toThrow(`losses.${name}: predictions and labels differ in shape`);
    tf.dispose([labels, predictions]);
  });
});

describe('lossFromName', () => {
  it.each([
    ['categoricalCrossentropy', categoricalCrossentropy],
    ['categorical_crossentropy', categoricalCrossentropy],
    ['sparseCategoricalCrossentropy', sparseCategoricalCrossentropy],
    ['sparse_categorical_crossentropy', sparseCategoricalCrossentropy],
    ['binaryCrossentropy', binaryCrossentropy],
    ['meanSquaredError', meanSquaredError],
  ] as const)('finds %s', (name, loss) => {
    expect(lossFromName(name)).toBe(loss);
    expect(lossFromName([name])).toBe(loss);
  });

  it("reads a compiled model's loss", () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })] });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expect(lossFromName(model.loss)).toBe(categoricalCrossentropy);
    model.dispose();
  });

  it.each([
    ['an unknown name', 'hinge', 'lossFromName: name must be one of categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError'],
    ["an Object.prototype key", 'toString', 'got "toString"'],
    ['an uncompiled model (undefined)', undefined, 'got undefined'],
    ['several losses', ['meanSquaredError', 'binaryCrossentropy'], 'got ["meanSquaredError", "binaryCrossentropy"]'],
    ['a loss function', tf.metrics.categoricalCrossentropy, 'a loss function goes to train({ loss }) directly'],
  ])('refuses %s with a ConfigError', (_, name, message) => {
    const call = () => lossFromName(name as Parameters<typeof lossFromName>[0]);
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(message);
  });
});
