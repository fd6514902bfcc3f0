import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { disposeStep } from '../support/fixtures.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('examples', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the README shows examples/quickstart.ts as it is', () => {
    expect(read('README.md')).toContain(read('examples/quickstart.ts').trim());
  });

  it('examples/quickstart.ts learns y = 3x − 1 and prints what its last comment says', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const before = tf.memory().numTensors;
    await import('../../examples/quickstart.js');
    expect(lines).toHaveLength(1);
    const [, loss, w] = /loss ([\d.]+), w = ([\d.-]+)/.exec(lines[0]!)!;
    expect(Number(loss)).toBeLessThan(1e-4);
    expect(Number(w)).toBeCloseTo(3, 2);
    expect(read('examples/quickstart.ts')).toContain(`// ${lines[0]}`);
    // What remains is the caller's: the model's two params and the last step's (params + Adam state).
    expect(tf.memory().numTensors - before).toBe(2 + 2 + 4);
  });

  it('docs/guide.md shows examples/composition.ts as it is', () => {
    expect(read('docs/guide.md')).toContain(read('examples/composition.ts').trim());
  });

  it('examples/composition.ts trains a Layers model: one update per 256 examples', async () => {
    const { training } = await import('../../examples/composition.js');
    const { lastValueFrom, of, toArray } = await import('rxjs');
    const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const before = tf.memory().numTensors;
    const batch = () => tf.tidy(() => ({ xs: tf.randomNormal([256, 3], 0, 1, 'float32', 1), ys: tf.oneHot(tf.zeros([256], 'int32'), 2).toFloat() }));
    const steps = await lastValueFrom(training(layers, of(batch(), batch())).pipe(toArray()));
    expect(steps.map((s) => [s.step, s.microBatches, s.examples])).toEqual([[1, 8, 256], [2, 8, 256]]);
    disposeStep(steps.at(-1));
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });

  it('docs/guide.md shows examples/layers.ts as it is', () => {
    expect(read('docs/guide.md')).toContain(read('examples/layers.ts').trim());
  });

  it('examples/layers.ts trains a Layers model, writes its params back and frees the last step', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const before = tf.memory().numTensors;
    await import('../../examples/layers.js');
    expect(lines).toHaveLength(1);
    const [, accuracy] = /accuracy (\d+)%/.exec(lines[0]!)!;
    expect(Number(accuracy)).toBeGreaterThanOrEqual(90);
    expect(read('examples/layers.ts')).toContain(`// ${lines[0]!.replace(/accuracy \d(\d)%/, 'accuracy 9x%')}`);
    // What remains is the Layers model's own four weights: the last step was freed by disposeState.
    expect(tf.memory().numTensors - before).toBe(4);
  });

  it('docs/guide.md shows examples/fit.ts as it is', () => {
    expect(read('docs/guide.md')).toContain(read('examples/fit.ts').trim());
  });

  it('examples/fit.ts trains through model.fit with one update per 8 batches, prints what its comment says, and frees everything', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const before = tf.memory().numTensors;
    await import('../../examples/fit.js');
    expect(lines).toHaveLength(1);
    // 2,048 examples an epoch in batches of 32 is 64 batches, 8 updates; 30 epochs.
    expect(lines[0]).toMatch(/^240 updates of 256 examples, training accuracy (9[5-9]|100)%$/);
    expect(read('examples/fit.ts')).toContain(`// ${lines[0]}`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('docs/concepts.md shows examples/monitoring.ts as it is', () => {
    expect(read('docs/concepts.md')).toContain(read('examples/monitoring.ts').trim());
  });

  it('examples/monitoring.ts: two consumers of one run on a synchronous source, the model trained once, the last step kept', async () => {
    const { monitoredRun } = await import('../../examples/monitoring.js');
    const { from, map } = await import('rxjs');
    const w = tf.scalar(1);
    let applied = 0;
    const model = { params: { w }, apply: (p: Record<string, tf.Tensor>, xs: tf.Tensor) => (applied++, tf.mul(xs, p['w']!)) };
    const before = tf.memory().numTensors;
    const batches = from([0, 1, 2, 3, 4, 5, 6, 7]).pipe(map(() => ({ xs: tf.ones([4]), ys: tf.zeros([4]) })));
    const { last, updates, evaluations } = await monitoredRun(batches, model, (p) => ({ testLoss: p['w']!.dataSync()[0]!, testAccuracy: 0 }));
    expect(applied).toBe(8);
    expect(updates.map((e) => e.update)).toEqual([1, 2, 3, 4]);
    expect(evaluations.map((e) => [e.epoch, e.update])).toEqual([[1, 2], [2, 4]]);
    expect(last.params['w']!.dataSync()[0]).toBeCloseTo(0.8 ** 4, 6); // w ← 0.8·w per update
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it('docs/monitoring.md shows examples/alerts.ts as it is', () => {
    expect(read('docs/monitoring.md')).toContain(read('examples/alerts.ts').trim());
  });

  it('examples/alerts.ts stops training once test accuracy plateaus, before its data run out', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const before = tf.memory().numTensors;
    await import('../../examples/alerts.js');
    expect(tf.memory().numTensors).toBe(before); // the example frees all it made
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^accuracy plateaued at \d+\.\d% in epoch \d+: stopping$/);
    const updates = Number(/^stopped after (\d+) updates of the 160 the data held$/.exec(lines[1]!)![1]);
    expect(updates).toBeGreaterThan(0);
    expect(updates).toBeLessThan(160);
  });

  it('examples/alerts.ts: nonFiniteLoss names the first update with a NaN or infinite loss, once', async () => {
    const { nonFiniteLoss } = await import('../../examples/alerts.js');
    const { from, lastValueFrom, toArray } = await import('rxjs');
    const { updateEvent } = await import('../../app/test/support/events.js');
    const events = [updateEvent(1), updateEvent(2, { loss: NaN }), updateEvent(3, { loss: Infinity }), updateEvent(4)];
    const found = await lastValueFrom(from(events).pipe(nonFiniteLoss, toArray()));
    expect(found.map((e) => e.update)).toEqual([2]);
  });

  it('examples/alerts.ts: accuracyPlateau fires at the evaluation `patience` after the best, not before', async () => {
    const { accuracyPlateau } = await import('../../examples/alerts.js');
    const { from, lastValueFrom, toArray } = await import('rxjs');
    const { evaluationEvent } = await import('../../app/test/support/events.js');
    const accuracies = [0.5, 0.7, 0.8, 0.8005, 0.79, 0.8, 0.95];
    const events = accuracies.map((a, i) => evaluationEvent(i + 1, i + 1, a));
    const found = await lastValueFrom(from(events).pipe(accuracyPlateau(3), toArray()));
    expect(found.map((e) => e.epoch)).toEqual([6]); // best 0.8 at epoch 3; 0.8005 is within minDelta
  });
});
