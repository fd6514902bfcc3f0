import * as tf from '@tensorflow/tfjs';
import { fc } from '@fast-check/vitest';
import { from, of, Subject, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { microBatches } from '../../lib/batch/microBatches.js';
import type { Batch } from '../../lib/batch/types.js';
import { BatchError } from '../../lib/errors/BatchError.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { collect } from '../support/fixtures.js';

const batchOf = (n: number): Batch => tf.tidy(() => ({ xs: tf.range(0, n).reshape([n, 1]), ys: tf.range(0, n) }));

describe('microBatches', () => {
  it('cuts any batch into consecutive micro-batches of the size, the last one smaller, and frees the batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), async (n, size) => {
        const before = tf.memory().numTensors;
        const parts = await collect(of(batchOf(n)).pipe(microBatches(size)));
        const sizes = parts.map((p) => p.xs.shape[0]);
        expect(sizes.every((s, i) => s === (i < sizes.length - 1 ? size : n - size * (sizes.length - 1)))).toBe(true);
        expect(parts.flatMap((p) => Array.from(p.ys.dataSync()))).toEqual(Array.from({ length: n }, (_, i) => i));
        parts.forEach((p) => tf.dispose([p.xs, p.ys]));
        expect(tf.memory().numTensors).toBe(before);
      }),
      { numRuns: 40 },
    );
  });

  it('holds one micro-batch at a time: a slice exists only while the subscriber uses it', async () => {
    const before = tf.memory().numTensors;
    const alive: number[] = [];
    from([batchOf(10)])
      .pipe(microBatches(3))
      .subscribe((mb) => {
        alive.push(tf.memory().numTensors - before);
        tf.dispose([mb.xs, mb.ys]);
      });
    // The batch (2 tensors) plus one micro-batch (2 tensors), every time.
    expect(alive).toEqual([4, 4, 4, 4]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees the rest of a batch when unsubscribed in the middle of it', () => {
    const before = tf.memory().numTensors;
    const source = new Subject<Batch>();
    source.pipe(microBatches(2), take(2)).subscribe((mb) => tf.dispose([mb.xs, mb.ys]));
    source.next(batchOf(9));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('sends a batch whose xs and ys differ in length down the error channel, freeing it', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(of({ xs: tf.zeros([4, 2]), ys: tf.zeros([3, 1]) }).pipe(microBatches(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchError);
    expect((error as Error).message).toBe('microBatches: xs has 4 examples but ys has 3 (shapes [4, 2] and [3, 1])');
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects size %s synchronously', (size) => {
    expect(() => microBatches(size)).toThrow(ConfigError);
    expect(() => microBatches(size)).toThrow(`microBatches: size must be an integer >= 1, got ${size}`);
  });
});
