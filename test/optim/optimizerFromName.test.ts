import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { optimizerFromName } from '../../lib/optim/optimizerFromName.js';
import { expectNoLeaks } from '../support/leaks.js';
import { runOptimizer } from './support.js';

// One update from p = 1 with gradient 2 (or 2 then 2), worked by hand per optimizer.
describe('optimizerFromName', () => {
  const first = (name: string, options: Record<string, unknown>, steps = 1) =>
    expectNoLeaks(() => runOptimizer(optimizerFromName(name, options), { p: [1] }, () => ({ p: [2] }), steps).map((t) => t['p']?.[0]));

  it('sgd: p − lr·g = 1 − 0.1·2 = 0.8', async () => expect((await first('sgd', { learningRate: 0.1 }))[0]).toBeCloseTo(0.8, 6));

  it('momentum defaults to 0.9: the second step is −lr·(0.9·g + g) = −0.38', async () => {
    const [a, b] = await first('momentum', { learningRate: 0.1 }, 2);
    expect(a).toBeCloseTo(0.8, 6);
    expect(b).toBeCloseTo(0.42, 6);
  });

  it('adam: the first step is −lr·sign(g)', async () =>
    expect((await first('adam', { learningRate: 0.1 }))[0]).toBeCloseTo(0.9, 5));

  it('adamw: the first step is −lr·(sign(g) + wd·p) = −0.1·1.01', async () =>
    expect((await first('adamw', { learningRate: 0.1, weightDecay: 0.01 }))[0]).toBeCloseTo(0.899, 5));

  it('rmsprop: −lr·g/√((1−ρ)g² + ε) = −0.1·2/√0.4', async () =>
    expect((await first('rmsprop', { learningRate: 0.1 }))[0]).toBeCloseTo(1 - 0.2 / Math.sqrt(0.4 + 1e-7), 6));

  it('adagrad: −lr·g/√(0.1 + g²) = −0.1·2/√4.1', async () =>
    expect((await first('adagrad', { learningRate: 0.1 }))[0]).toBeCloseTo(1 - 0.2 / Math.sqrt(4.1 + 1e-7), 6));

  it('rejects an unknown name with a ConfigError listing the names, before making any tensor', () => {
    const before = tf.memory().numTensors;
    expect(() => optimizerFromName('adma', { learningRate: 0.1 })).toThrow(
      new ConfigError(
        'optimizerFromName',
        'name',
        'adma',
        'one of "sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"',
      ).message,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects an option the named optimizer does not take, naming the optimizer's function", () =>
    expect(() => optimizerFromName('adam', { learningRate: 0.1, momentum: 0.9 })).toThrow(
      'adam: momentum must be absent (adam takes learningRate, beta1, beta2, epsilon), got 0.9',
    ));
});
