import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';

// fast-check is an optional peer dependency: here it is "not installed", so any module that loads it fails.
vi.mock('fast-check', () => {
  throw new Error("Cannot find package 'fast-check'");
});

const model = () =>
  tf.sequential({ layers: [tf.layers.dense({ name: 'hidden', inputShape: [3], units: 4, activation: 'tanh' }), tf.layers.dense({ name: 'out', units: 2 })] });

describe('gradstream/testing/safety without fast-check', () => {
  it('the mock hides fast-check: the gradstream/testing entry, which needs it, cannot load', async () => {
    // vitest wraps the factory's error ("There was an error when mocking a module ...").
    await expect(import('../../lib/testing/index.js')).rejects.toThrow(/mocking a module|fast-check/);
  });

  it('checkAccumulationSafety loads and reports a safe model as safe', async () => {
    const { checkAccumulationSafety } = await import('../../lib/testing/safety/index.js');
    const { fromLayersModel } = await import('../../lib/models/fromLayersModel.js');
    const { meanSquaredError } = await import('../../lib/models/losses/meanSquaredError.js');
    const layers = model();
    const before = tf.memory().numTensors;
    const batch = { xs: tf.randomNormal([6, 3], 0, 1, 'float32', 1), ys: tf.randomNormal([6, 2], 0, 1, 'float32', 2) };
    const report = checkAccumulationSafety(fromLayersModel(layers), meanSquaredError, batch);
    expect(report.safe).toBe(true);
    tf.dispose([batch.xs, batch.ys]);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });
});
