import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, map, range, toArray, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { resumeBatches } from '../../lib/batch/resumeBatches.js';
import type { Batch, BatchSource } from '../../lib/batch/types.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { expectNoLeaks } from '../support/leaks.js';

const TOTAL = 20;
const SIZE = 3;

/** Batches of SIZE numbered examples (id in xs), counting each batch it makes. */
const counted = () => {
  const made = { count: 0 };
  const make = (start: number, end: number): Batch => {
    made.count += 1;
    return tf.tidy(() => ({ xs: tf.range(start, end).reshape([end - start, 1]), ys: tf.zeros([end - start, 1]) }));
  };
  // Keeps the BatchSource contract: the batch the start falls in begins at it; none before it is made.
  const source: BatchSource = (startExample) => {
    const first = Math.floor(startExample / SIZE);
    const batches = startExample >= TOTAL ? 0 : Math.ceil(TOTAL / SIZE) - first;
    return range(first, batches).pipe(map((b) => make(Math.max(b * SIZE, startExample), Math.min((b + 1) * SIZE, TOTAL))));
  };
  const replayable: Observable<Batch> = from(Array.from({ length: Math.ceil(TOTAL / SIZE) }, (_, b) => b)).pipe(
    map((b) => make(b * SIZE, Math.min((b + 1) * SIZE, TOTAL))),
  );
  return { made, source, replayable };
};

/** The example ids a stream yields, its batches disposed. */
const ids = async (batches: Observable<Batch>): Promise<number[]> =>
  (await lastValueFrom(batches.pipe(toArray()))).flatMap((batch) => {
    const out = Array.from(batch.xs.dataSync());
    tf.dispose([batch.xs, batch.ys]);
    return out;
  });

describe('resumeBatches', () => {
  it('starts a BatchSource at the position: the batches before it are never made', async () => {
    const { made, source } = counted();
    const rest = await expectNoLeaks(() => ids(resumeBatches(source, 13)));
    expect(rest).toEqual(Array.from({ length: TOTAL - 13 }, (_, i) => 13 + i));
    // Examples 13..19: the batch [12, 15) cut at 13, then [15, 18) and [18, 20). None of the 4 before.
    expect(made.count).toBe(3);
  });

  it('replays a plain Observable and drops what it made before the position (skipExamples), with the same data', async () => {
    const { made, replayable } = counted();
    const rest = await expectNoLeaks(() => ids(resumeBatches(replayable, 13)));
    expect(rest).toEqual(Array.from({ length: TOTAL - 13 }, (_, i) => 13 + i));
    expect(made.count).toBe(7);
  });

  it('a position at or past the end of a BatchSource yields nothing and makes nothing', async () => {
    const { made, source } = counted();
    expect(await expectNoLeaks(() => ids(resumeBatches(source, TOTAL)))).toEqual([]);
    expect(made.count).toBe(0);
  });

  it('rejects a position that is not an integer >= 0, and a source that is neither a function nor an Observable', () => {
    const { source } = counted();
    expect(() => resumeBatches(source, -1)).toThrow(/resumeBatches: examples must be an integer >= 0, got -1/);
    expect(() => resumeBatches([] as never, 0)).toThrow(ConfigError);
  });

  it('a BatchSource that returns no Observable fails the stream with a ConfigError naming the source', async () => {
    const bad = (() => [{ xs: 1 }]) as unknown as BatchSource;
    await expect(lastValueFrom(resumeBatches(bad, 4))).rejects.toThrow(/resumeBatches: source must be a BatchSource.*source\(4\)/);
  });
});
