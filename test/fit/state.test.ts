import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accumulatingOptimizer } from '../../lib/fit/accumulatingOptimizer.js';
import type { AccumulatingOptimizer } from '../../lib/fit/internal/AccumulatingOptimizer.js';
import { relativeError } from '../support/fixtures.js';
import { examples, mlpModel, tensorsOf, weightsOf } from './support.js';

const data = examples(320, [8]);

/** Fits `model` on examples [start, end) at batch 32, without shuffling. */
async function fitRange(model: tf.LayersModel, start: number, end: number): Promise<void> {
  const { xs, ys } = tensorsOf(data, start, end);
  await model.fit(xs, ys, { batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
}

/** A model saved to memory, the optimizer included. */
async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
  return saved!;
}

describe('accumulatingOptimizer state, checkpoints and serialisation', () => {
  it('getConfig holds steps, epochEnd and the inner optimizer by class name and config', () => {
    const optimizer = accumulatingOptimizer(tf.train.adam(0.01, 0.8), { steps: 8, epochEnd: 'apply' });
    expect(optimizer.getClassName()).toBe('AccumulatingOptimizer');
    expect(optimizer.getConfig()).toEqual({
      steps: 8,
      epochEnd: 'apply',
      innerClassName: 'Adam',
      innerConfig: { learningRate: 0.01, beta1: 0.8, beta2: 0.999, epsilon: tf.backend().epsilon() },
    });
    optimizer.dispose();
  });

  it('a window saved mid-way with getWeights and restored with setWeights continues as if never interrupted', async () => {
    const before = tf.memory().numTensors;
    // Uninterrupted: 10 batches (2 updates, 2 batches left open), then 2 more batches close update 3.
    const straight = mlpModel();
    const a = accumulatingOptimizer(tf.train.adam(0.01), { steps: 4 });
    straight.compile({ optimizer: a, loss: 'categoricalCrossentropy' });
    await fitRange(straight, 0, 320);
    // Interrupted after 6 batches: the weights and the optimizer's state move to a fresh model and optimizer.
    const first = mlpModel();
    const b = accumulatingOptimizer(tf.train.adam(0.01), { steps: 4 });
    first.compile({ optimizer: b, loss: 'categoricalCrossentropy' });
    await fitRange(first, 0, 192);
    expect([b.window.batches, b.window.examples]).toEqual([2, 64]);
    const saved = await b.getWeights();
    const second = mlpModel(7);
    second.setWeights(first.getWeights());
    const c = accumulatingOptimizer(tf.train.adam(0.01), { steps: 4 });
    await c.setWeights(saved);
    expect([c.window.batches, c.window.examples, c.iterations]).toEqual([2, 64, 1]);
    second.compile({ optimizer: c, loss: 'categoricalCrossentropy' });
    await fitRange(second, 192, 320);
    expect(c.iterations).toBe(a.iterations);
    expect(relativeError(weightsOf(second), weightsOf(straight))).toBeLessThan(1e-6);
    // The counters getWeights made are the caller's (as tfjs's own 'iter'); the rest are live state.
    tf.dispose(saved.filter((w) => w.name === 'iter' || w.name === 'gradstream.accumulating/counts').map((w) => w.tensor));
    [straight, first, second, a, b, c].forEach((d) => d.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('model.save({ includeOptimizer: true }) keeps the wrapper, its inner optimizer and an open window; tf.loadLayersModel rebuilds them', async () => {
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.15), { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await fitRange(model, 0, 192); // 6 batches: one update, two open
    const artifacts = await saveToMemory(model);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const restored = loaded.optimizer as AccumulatingOptimizer;
    expect(restored.getClassName()).toBe('AccumulatingOptimizer');
    expect(restored.getConfig()).toEqual(optimizer.getConfig());
    expect([restored.window.batches, restored.window.examples, restored.iterations]).toEqual([2, 64, 1]);
    for (const [name, sum] of Object.entries(optimizer.window.sums))
      expect(Array.from(restored.window.sums[name]!.dataSync())).toEqual(Array.from(sum.dataSync()));
    // Both continue the same: the loaded model closes the open window exactly as the original does.
    await fitRange(model, 192, 256);
    await fitRange(loaded, 192, 256);
    expect(restored.iterations).toBe(2);
    expect(relativeError(weightsOf(loaded), weightsOf(model))).toBeLessThan(1e-6);
    [model, loaded, optimizer, restored].forEach((d) => d.dispose());
  });

  it('a plain model.save() keeps no optimizer state, as with any tfjs optimizer', async () => {
    const model = mlpModel();
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.15), { steps: 4 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    expect(saved?.trainingConfig).toBeUndefined();
    expect(saved?.weightSpecs?.map((s) => s.name).filter((n) => n.startsWith('gradstream'))).toEqual([]);
    model.dispose();
    optimizer.dispose();
  });
});
