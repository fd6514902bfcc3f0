import * as tf from '@tensorflow/tfjs';
import { from, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { accumulate, type AccumulateOptions, type AccumulationSteps } from '../../lib/accumulate/accumulate.js';
import type { AccumulatedGradients } from '../../lib/accumulate/types.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { NonFiniteGradientError } from '../../lib/errors/NonFiniteGradientError.js';
import { ParamMismatchError } from '../../lib/errors/ParamMismatchError.js';
import type { GradientSample } from '../../lib/gradients/types.js';
import { gradientSampleArbitrary } from '../../lib/testing/gradientSampleArbitrary.js';
import { paramsFromValues } from '../../lib/testing/paramsFromValues.js';
import { collect } from '../support/fixtures.js';

/** A sample whose gradient sum is `g` (for parameter w), over `count` items with loss sum `loss`. */
const sample = (g: number, count = 1, loss = g): GradientSample => ({
  grads: { w: tf.scalar(g) },
  loss: tf.scalar(loss),
  count,
  examples: count,
});

const disposeSample = (s: GradientSample) => tf.dispose([s.grads['w']!, s.loss]);

/** A window as plain numbers, its tensors freed: what marble tests compare. */
const plain = (w: AccumulatedGradients) => {
  if (w.skipped) return { skipped: w.reason, n: w.microBatches, skippedMb: w.skippedMicroBatches, partial: w.partial };
  const g = w.grads['w']!.dataSync()[0]!;
  w.grads['w']!.dispose();
  return { g: Math.round(g * 1e6) / 1e6, n: w.microBatches, count: w.count, partial: w.partial };
};

const windows = (steps: AccumulationSteps, options?: AccumulateOptions) => (source: Observable<GradientSample>) =>
  source.pipe(accumulate(steps, options), map(plain));

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('accumulate: cadence', () => {
  it('emits update k right after micro-batch k·N, and the partial window at completion scaled by its own count', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c-d-e|', { a: sample(1), b: sample(2), c: sample(3), d: sample(4), e: sample(10) });
      // Windows of 2: (1+2)/2, (3+4)/2, then the partial window {10} over its own count 1, not over N = 2.
      expectObservable(source.pipe(windows(2))).toBe('--x---y--(z|)', {
        x: { g: 1.5, n: 2, count: 2, partial: false },
        y: { g: 3.5, n: 2, count: 2, partial: false },
        z: { g: 10, n: 1, count: 1, partial: true },
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('drops the partial window when asked', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', { a: sample(1), b: sample(2), c: sample(3) });
      expectObservable(source.pipe(windows(2, { partialWindow: 'drop' }))).toBe('--x--|', {
        x: { g: 1.5, n: 2, count: 2, partial: false },
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('honours a schedule N(updateStep): windows of 1, 2, 3 micro-batches', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcdef|', { a: sample(1), b: sample(2), c: sample(3), d: sample(4), e: sample(5), f: sample(6) });
      expectObservable(source.pipe(windows((k) => k + 1))).toBe('x-y--z|', {
        x: { g: 1, n: 1, count: 1, partial: false },
        y: { g: 2.5, n: 2, count: 2, partial: false },
        z: { g: 5, n: 3, count: 3, partial: false },
      });
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fails on an error mid-window, emitting nothing for that window and freeing its sum', () => {
    const before = tf.memory().numTensors;
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c-#', { a: sample(1), b: sample(2), c: sample(3) }, new Error('upstream'));
      expectObservable(source.pipe(windows(2))).toBe('--x---#', { x: { g: 1.5, n: 2, count: 2, partial: false } }, new Error('upstream'));
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees its running sum when unsubscribed mid-window', () => {
    const before = tf.memory().numTensors;
    const samples = [1, 2, 3, 4, 5].map((g) => sample(g));
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b, c, d, e] = samples as [GradientSample, GradientSample, GradientSample, GradientSample, GradientSample];
      const source = cold('a-b-c-d-e|', { a, b, c, d, e });
      expectObservable(source.pipe(windows(4)), '^----!').toBe('------');
    });
    // a, b, c were taken and freed with the sum; d and e were never emitted: they are still the test's.
    expect(tf.memory().numTensors - before).toBe(2 * 2);
    samples.forEach(disposeSample);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('accumulate: weighting', () => {
  it('gives Optax\'s hand-worked figure: gradients 1..4 with k = 4 give 2.5', async () => {
    const [w] = await collect(from([1, 2, 3, 4].map((g) => sample(g))).pipe(windows(4)));
    expect(w).toEqual({ g: 2.5, n: 4, count: 4, partial: false });
  });

  it('a window of any samples is their gradient sums over their summed counts, its loss their loss sums over it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(gradientSampleArbitrary({ w: [2, 3], b: [3] }, { count: 'items' }), { minLength: 1, maxLength: 6 }), async (values) => {
        const before = tf.memory().numTensors;
        const samples = values.map((v) => ({ grads: paramsFromValues(v.grads), loss: tf.scalar(v.loss), count: v.count, examples: v.examples }));
        const [window] = await collect(from(samples).pipe(accumulate(values.length)));
        if (!window || window.skipped) throw new Error('expected one applied window');
        const items = values.reduce((n, v) => n + v.count, 0);
        expect(window.count).toBe(items);
        expect(window.loss).toBeCloseTo(values.reduce((n, v) => n + v.loss, 0) / items, 4);
        for (const name of ['w', 'b']) {
          const expected = values[0]!.grads[name]!.values.map((_, i) => values.reduce((sum, v) => sum + v.grads[name]!.values[i]!, 0) / items);
          Array.from(window.grads[name]!.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 5));
        }
        tf.dispose(Object.values(window.grads));
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: 30 },
    );
  });

  it('weights samples by count: sums 4 (1 item) and 0 (3 items) give 1, not the mean of means 2', async () => {
    const [w] = await collect(from([sample(4, 1), sample(0, 3)]).pipe(windows(2)));
    expect(w).toEqual({ g: 1, n: 2, count: 4, partial: false });
  });
});

describe('accumulate: non-finite samples', () => {
  const run = (options: AccumulateOptions) =>
    collect(from([sample(1), sample(Number.NaN, 1, 0), sample(3), sample(5), sample(7)]).pipe(windows(2, options)));

  it("'error' fails with NonFiniteGradientError naming the update and micro-batch of a non-finite loss", async () => {
    const before = tf.memory().numTensors;
    const samples = [sample(1), sample(1, 1, Number.NaN), sample(3)];
    const error = await collect(from(samples).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as NonFiniteGradientError).update).toBe(1);
    expect((error as NonFiniteGradientError).microBatch).toBe(2);
    expect((error as Error).message).toBe('non-finite loss in micro-batch 2 of update 1');
    // The failure stops the synchronous source: the third sample never flowed in and is still the test's.
    expect(tf.memory().numTensors - before).toBe(2);
    expect(samples[2]!.loss.isDisposed).toBe(false);
    samples.forEach(disposeSample);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'error' catches a non-finite gradient behind a finite loss as its window closes, naming the update and the parameter", async () => {
    const before = tf.memory().numTensors;
    const error = await collect(from([sample(1), sample(Number.NaN, 1, 0)]).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as NonFiniteGradientError).update).toBe(1);
    expect((error as NonFiniteGradientError).microBatch).toBeUndefined();
    expect((error as Error).message).toBe("non-finite accumulated gradient of 'w' in update 1");
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'skip-micro-batch' leaves the micro-batch out of the sum and the count", async () => {
    const before = tf.memory().numTensors;
    const out = await run({ nonFinite: 'skip-micro-batch' });
    expect(out).toEqual([
      { g: 1, n: 2, count: 1, partial: false },
      { g: 4, n: 2, count: 2, partial: false },
      { g: 7, n: 1, count: 1, partial: true },
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'skip-update' drops the whole window and the next window keeps the update step", async () => {
    const before = tf.memory().numTensors;
    const windowsOut: AccumulatedGradients[] = await collect(
      from([sample(1), sample(Number.POSITIVE_INFINITY), sample(3), sample(5)]).pipe(accumulate((k) => 2 + k, { nonFinite: 'skip-update' })),
    );
    expect(windowsOut.map((w) => [w.skipped, w.updateStep, w.microBatches])).toEqual([
      [true, 0, 2],
      [false, 0, 2],
    ]);
    windowsOut.forEach((w) => (w.skipped ? undefined : tf.dispose(Object.values(w.grads))));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('accumulate: bad input', () => {
  it.each([0, -1, Number.NaN, 1.5])('rejects accumulation steps %s synchronously, naming the value', (steps) => {
    expect(() => accumulate(steps)).toThrow(ConfigError);
    expect(() => accumulate(steps)).toThrow(`accumulate: accumulationSteps must be an integer >= 1, got ${steps}`);
  });

  it('fails the stream when a schedule returns 0, naming the step and the value', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(from([sample(1)]).pipe(accumulate(() => 0))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('accumulate: accumulationSteps(0) must be an integer >= 1, got 0');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fails the stream when a sample has other parameters than its window', async () => {
    const before = tf.memory().numTensors;
    const odd: GradientSample = { grads: { v: tf.scalar(1) }, loss: tf.scalar(1), count: 1, examples: 1 };
    const error = await collect(from([sample(1), odd]).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParamMismatchError);
    expect((error as ParamMismatchError).param).toBe('w');
    expect(tf.memory().numTensors).toBe(before);
  });
});
