import * as tf from '@tensorflow/tfjs';
import { fc } from '@fast-check/vitest';
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { skipExamples } from '../../lib/batch/skipExamples.js';
import type { Batch } from '../../lib/batch/types.js';
import { shuffledBatches } from '../../lib/data/shuffledBatches.js';
import { BatchError } from '../../lib/errors/BatchError.js';
import { numberedExamples } from '../support/examples.js';
import { expectNoLeaks } from '../support/leaks.js';

const examples = numberedExamples(10);

/** The example ids of each batch (disposing it). */
const ids = (batch: Batch): number[] => {
  const xs = batch.xs.reshape([batch.xs.shape[0] as number, -1]);
  const out = (xs.arraySync() as number[][]).map((row) => row[0] as number);
  tf.dispose([xs, batch.xs, batch.ys]);
  return out;
};

const batchesOf = (sizes: ReadonlyArray<number>) => {
  let next = 0;
  return from(sizes).pipe(
    map((n) => {
      const start = next;
      next += n;
      return tf.tidy(() => ({ xs: tf.range(start, start + n).reshape([n, 1]), ys: tf.zeros([n, 1]) }));
    }),
  );
};

describe('restarting the data at a saved position', () => {
  it('skipExamples drops the first p examples of any replayable source, cutting the batch the position falls in, for any p', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }), fc.nat(30), async (sizes, p) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const position = p % (total + 1);
        const out = await expectNoLeaks(async () => (await lastValueFrom(batchesOf(sizes).pipe(skipExamples(position), toArray()))).map(ids));
        expect(out.flat()).toEqual(Array.from({ length: total - position }, (_, i) => position + i));
      }),
      { numRuns: 40 },
    );
  });

  it('skipExamples fails with a BatchError when the source ends before the position', async () => {
    await expectNoLeaks(() => expect(lastValueFrom(batchesOf([2, 2]).pipe(skipExamples(5)))).rejects.toThrow(BatchError));
  });

  it('shuffledBatches with startAt yields exactly the rest of the epoch, for any position', async () => {
    for (let startAt = 0; startAt <= 10; startAt++) {
      const all = (await lastValueFrom(shuffledBatches({ examples, batchSize: 3, seed: 4, epoch: 2 }).pipe(toArray()))).map(ids).flat();
      const rest = await expectNoLeaks(async () =>
        (await lastValueFrom(shuffledBatches({ examples, batchSize: 3, seed: 4, epoch: 2, startAt }).pipe(toArray()))).map(ids).flat(),
      );
      expect(rest, `startAt ${startAt}`).toEqual(all.slice(startAt));
    }
  });
});
