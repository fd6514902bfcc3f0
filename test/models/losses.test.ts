import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeMismatchError } from '../../lib/errors/ShapeMismatchError.js';
import { categoricalCrossentropy } from '../../lib/models/losses/categoricalCrossentropy.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import { sigmoidCrossEntropy } from '../../lib/models/losses/sigmoidCrossEntropy.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';

const values = (f: () => tf.Tensor): number[] => {
  const before = tf.memory().numTensors;
  const t = tf.tidy(f);
  const out = Array.from(t.dataSync());
  t.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return out;
};

describe('losses, per example, hand-worked', () => {
  it('softmaxCrossEntropy of uniform logits is ln(classes)', () => {
    const [a, b] = values(() => softmaxCrossEntropy(tf.tensor2d([[0, 1], [1, 0]]), tf.tensor2d([[0, 0], [3, 3]])));
    expect(a).toBeCloseTo(Math.LN2, 6);
    expect(b).toBeCloseTo(Math.LN2, 6);
  });

  it('softmaxCrossEntropy is −log of the true class probability', () => {
    const [l] = values(() => softmaxCrossEntropy(tf.tensor2d([[0, 0, 1]]), tf.tensor2d([[1, 2, 3]])));
    const p = Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(l).toBeCloseTo(-Math.log(p), 5);
  });

  it('sigmoidCrossEntropy is stable for large logits and averages over the last axis', () => {
    const [a, b] = values(() => sigmoidCrossEntropy(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[100, -100], [0, 0]])));
    expect(a).toBeCloseTo(0, 6);
    expect(b).toBeCloseTo(Math.LN2, 6);
  });

  it('meanSquaredError averages over the last axis, one value per example', () => {
    expect(values(() => meanSquaredError(tf.tensor2d([[1, 3], [0, 0]]), tf.tensor2d([[0, 0], [2, 2]])))).toEqual([5, 4]);
    expect(values(() => meanSquaredError(tf.tensor1d([1, 2]), tf.tensor1d([0, 0])))).toEqual([1, 4]);
  });

  it.each([
    ['softmaxCrossEntropy', softmaxCrossEntropy],
    ['sigmoidCrossEntropy', sigmoidCrossEntropy],
    ['meanSquaredError', meanSquaredError],
  ] as const)('%s rejects predictions whose shape differs from the labels, naming both', (name, loss) => {
    const before = tf.memory().numTensors;
    const [labels, predictions] = [tf.zeros([4, 1]), tf.zeros([4, 2])];
    expect(() => loss(labels, predictions)).toThrow(ShapeMismatchError);
    expect(() => loss(labels, predictions)).toThrow(`losses.${name}: predictions and labels differ in shape: predictions [4, 2], labels [4, 1]`);
    tf.dispose([labels, predictions]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['indices of shape [batch]', () => tf.tensor1d([0, 2, 1, 2])],
    ['indices of shape [batch, 1]', () => tf.tensor2d([[0], [2], [1], [2]])],
    ['int labels of another shape', () => tf.zeros([4, 2], 'int32')],
  ] as const)('a categorical loss given %s hints at one-hot labels or sparseCategoricalCrossentropy', (_, makeLabels) => {
    const before = tf.memory().numTensors;
    const [labels, predictions] = [makeLabels(), tf.fill([4, 3], 1 / 3)];
    for (const loss of [softmaxCrossEntropy, categoricalCrossentropy]) {
      expect(() => loss(labels, predictions)).toThrow(ShapeMismatchError);
      expect(() => loss(labels, predictions)).toThrow(/one-hot them with tf\.oneHot\(labels, 3\), or keep the indices and use losses\.sparseCategoricalCrossentropy/);
    }
    tf.dispose([labels, predictions]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a shape mismatch that is not about class indices gets no one-hot hint', () => {
    const before = tf.memory().numTensors;
    const [labels, predictions] = [tf.zeros([4, 3]), tf.zeros([4, 5])];
    expect(() => softmaxCrossEntropy(labels, predictions)).toThrow(/differ in shape: predictions \[4, 5\], labels \[4, 3\]$/);
    // meanSquaredError compares values, not classes: [4] against [4, 3] says nothing of one-hot.
    const indices = tf.zeros([4]);
    expect(() => meanSquaredError(indices, predictions)).not.toThrow(/oneHot/);
    expect(() => meanSquaredError(indices, predictions)).toThrow(ShapeMismatchError);
    tf.dispose([labels, predictions, indices]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
