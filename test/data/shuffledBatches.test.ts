import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fc, test as prop } from '@fast-check/vitest';
import { asyncScheduler, firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import type { Batch } from '../../lib/batch/types.js';
import { shuffledBatches } from '../../lib/data/shuffledBatches.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { expectNoLeaks } from '../support/leaks.js';
import { numberedExamples } from '../support/examples.js';

const examples = numberedExamples(10);

/** Reads a batch's example identities and disposes it. */
const readIds = (batch: Batch): number[] => {
  const xs = batch.xs.reshape([batch.xs.shape[0] as number, -1]);
  const ids = (xs.arraySync() as number[][]).map((row) => row[0] as number);
  tf.dispose([xs, batch.xs, batch.ys]);
  return ids;
};

const epochIds = async (seed: number, epoch: number, batchSize = 3): Promise<number[][]> =>
  lastValueFrom(shuffledBatches({ examples, batchSize, seed, epoch }).pipe(toArray())).then((bs) => bs.map(readIds));

describe('shuffledBatches', () => {
  it('emits ceil(count / batchSize) batches, the last one smaller', async () => {
    const ids = await expectNoLeaks(() => epochIds(1, 0, 3));
    expect(ids.map((b) => b.length)).toEqual([3, 3, 3, 1]);
  });

  it('leaves out the smaller last batch with dropRemainder', async () => {
    const batches = await expectNoLeaks(async () =>
      (await lastValueFrom(shuffledBatches({ examples, batchSize: 3, seed: 1, epoch: 0, dropRemainder: true }).pipe(toArray()))).map(readIds),
    );
    expect(batches.length).toBe(3);
  });

  prop.prop([fc.integer({ min: 1, max: 12 }), fc.nat(), fc.nat({ max: 5 })], { numRuns: 20 })(
    'visits every example exactly once per epoch, for any batch size, seed and epoch',
    async (batchSize, seed, epoch) => {
      const ids = (await expectNoLeaks(() => epochIds(seed, epoch, batchSize))).flat();
      expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    },
  );

  it('gives the same batches for the same seed and epoch, bit for bit', async () => {
    expect(await epochIds(5, 2)).toEqual(await epochIds(5, 2));
  });

  it('reshuffles each epoch', async () => {
    expect((await epochIds(5, 0)).flat()).not.toEqual((await epochIds(5, 1)).flat());
  });

  it('shapes xs as [b, ...inputShape] and ys as [b, classes]', async () => {
    const square = numberedExamples(5, 4, 3);
    const batch = await firstValueFrom(shuffledBatches({ examples: square, batchSize: 2, seed: 0, epoch: 0, inputShape: [2, 2, 1] }));
    expect(batch.xs.shape).toEqual([2, 2, 2, 1]);
    expect(batch.ys.shape).toEqual([2, 3]);
    expect(batch.xs.dtype).toBe('float32');
    tf.dispose([batch.xs, batch.ys]);
  });

  it('keeps each label with its image', async () => {
    const batch = await firstValueFrom(shuffledBatches({ examples, batchSize: 10, seed: 9, epoch: 0 }));
    const ids = (batch.xs.arraySync() as number[][]).map((r) => r[0] as number);
    const labels = (batch.ys.argMax(-1).arraySync() as number[]);
    tf.dispose([batch.xs, batch.ys]);
    expect(labels).toEqual(ids.map((id) => id % 3));
  });

  it('creates no tensor before subscription', () => {
    const before = tf.memory().numTensors;
    shuffledBatches({ examples, batchSize: 2, seed: 0, epoch: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('creates no further tensor after an unsubscribe mid-epoch (synchronous source)', async () => {
    let made = 0;
    await expectNoLeaks(async () => {
      const taken = await lastValueFrom(
        shuffledBatches({ examples, batchSize: 2, seed: 0, epoch: 0 }).pipe(tap(() => (made += 1)), take(2), toArray()),
      );
      taken.forEach((b) => tf.dispose([b.xs, b.ys]));
    });
    expect(made).toBe(2);
  });

  it('yields to the event loop between batches, and stops at an unsubscribe between them', async () => {
    let made = 0;
    await expectNoLeaks(async () => {
      const subscription = shuffledBatches({ examples, batchSize: 4, seed: 0, epoch: 0, scheduler: asyncScheduler }).subscribe((b) => {
        made += 1;
        tf.dispose([b.xs, b.ys]);
      });
      expect(made).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 0));
      subscription.unsubscribe();
      const seen = made;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(made).toBe(seen);
    });
    expect(made).toBeLessThan(3);
  });

  it('emits a whole epoch from asyncScheduler, then completes', async () => {
    const ids = await expectNoLeaks(async () =>
      (await lastValueFrom(shuffledBatches({ examples, batchSize: 4, seed: 0, epoch: 0, scheduler: asyncScheduler }).pipe(toArray()))).map(readIds),
    );
    expect(ids.map((b) => b.length)).toEqual([4, 4, 2]);
  });

  it('rejects batchSize 0 synchronously, naming the field and the value', () => {
    expect(() => shuffledBatches({ examples, batchSize: 0, seed: 0, epoch: 0 })).toThrow(
      new ConfigError('shuffledBatches', 'batchSize', 0, 'an integer >= 1'),
    );
  });

  it('rejects an inputShape whose size is not the number of features', () => {
    expect(() => shuffledBatches({ examples, batchSize: 2, seed: 0, epoch: 0, inputShape: [28, 28, 1] })).toThrow(
      /inputShape must be positive integers whose product is 4, got \[28, 28, 1\]/,
    );
  });
});
