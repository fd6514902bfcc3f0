import * as tf from '@tensorflow/tfjs';
import { defer, mergeMap, concatWith, type OperatorFunction } from 'rxjs';
import { BatchError } from '../errors/BatchError.js';
import { disposeBatch } from '../internal/disposeBatch.js';
import { getOrThrow, integerAtLeast } from '../internal/validate.js';
import type { Batch } from './types.js';

/**
 * Restarts a data source at a saved position: drops its first `count` examples, whole batches first, then
 * the front of the batch the position falls in. For any source that yields the same batches in the same
 * order on every subscription: `from(arrayOfBatchMakers)`, an array-like read in order, or
 * {@link shuffledBatches} with the same seed.
 *
 * It cannot avoid making what it drops: every skipped batch is made (read, decoded, turned into tensors)
 * and disposed. When the source can start at an example, let it: {@link resumeBatches} takes a
 * {@link BatchSource} and makes no skipped batch at all.
 *
 * A run stopped mid-batch (after update k, in a batch that spans windows) stops at a micro-batch boundary,
 * so the rest of that batch splits into the same micro-batches as it would have: the resumed run sees
 * exactly the data the stopped run would have seen next. Pass `position.examples` of a loaded checkpoint.
 *
 * Ownership: the operator owns the batches it drops or cuts, and disposes them; what it emits belongs to
 * the subscriber.
 *
 * ## Example
 * ```ts
 * const saved = await loadCheckpoint(storage, { fingerprint });
 * const batches$ = from(makers).pipe(map((make) => make()), skipExamples(saved.position.examples));
 * ```
 *
 * @param count examples to drop, an integer >= 0
 * @returns an operator from batches to the batches after the position
 * @throws {ConfigError} when `count` is not an integer >= 0; a source that ends before the position fails
 *   the stream with a {@link BatchError}, as does a batch that is not `{ xs, ys }` of two live tensors
 * @see resumeBatches
 * @see loadCheckpoint
 */
export function skipExamples(count: number): OperatorFunction<Batch, Batch> {
  getOrThrow(integerAtLeast('skipExamples', 'count', 0)(count));
  return (source) =>
    defer(() => {
      let left = count;
      return source.pipe(
        mergeMap((batch): Batch[] => {
          if (left === 0) return [batch];
          try {
            const invalid = BatchError.checkBatch('skipExamples', batch);
            if (invalid) throw invalid;
            const n = batch.xs.shape[0] ?? 0;
            if (n <= left) {
              left -= n;
              return [];
            }
            const start = left;
            left = 0;
            return [{ xs: from(batch.xs, start), ys: from(batch.ys, start) }];
          } finally {
            disposeBatch(batch);
          }
        }),
        concatWith(
          defer(() => {
            if (left > 0) throw new BatchError('skipExamples', `the source ended ${left} examples before the position ${count}`, count);
            return [];
          }),
        ),
      );
    });
}

/** Examples `[start, end)` of `t`, as a new tensor. */
function from(t: tf.Tensor, start: number): tf.Tensor {
  return tf.slice(t, t.shape.map((_, axis) => (axis === 0 ? start : 0)), t.shape.map((dim, axis) => (axis === 0 ? dim - start : dim)));
}
