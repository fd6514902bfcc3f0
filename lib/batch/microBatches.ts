import * as tf from '@tensorflow/tfjs';
import { Observable, type OperatorFunction } from 'rxjs';
import { BatchError } from '../errors/BatchError.js';
import { disposeBatch } from '../internal/disposeBatch.js';
import { inOrder } from '../internal/inOrder.js';
import { getOrThrow, integerAtLeast } from '../internal/validate.js';
import type { Batch } from './types.js';

/**
 * Splits each batch into micro-batches of `size` examples; a batch's last micro-batch may be smaller.
 *
 * Micro-batches are cut one at a time, as the subscriber takes them: while one is being used, no other
 * slice exists, so memory holds the incoming batch plus one micro-batch, whatever the batch size.
 * A batch no larger than `size` passes through as it is, without a copy.
 *
 * Batches are split one after another, in the order they arrive: a batch pushed into the source from
 * inside a subscriber (a `Subject` fed from a `tap`) waits until the current batch has been split.
 *
 * Ownership: the operator owns each incoming batch and disposes it once split (also on error and on
 * unsubscribe, a batch still waiting included); each emitted micro-batch belongs to the subscriber, which disposes it after use
 * ({@link train} does).
 *
 * ## Example
 * ```ts
 * const batch = { xs: tf.ones([10, 3]), ys: tf.ones([10, 1]) };
 * of(batch).pipe(microBatches(4)).subscribe((mb) => {
 *   console.log(mb.xs.shape[0]); // 4, 4, 2
 *   mb.xs.dispose();
 *   mb.ys.dispose();
 * });
 * ```
 *
 * @param size examples per micro-batch, an integer >= 1
 * @returns an operator from batches to micro-batches; a batch whose `xs` and `ys` count different
 *   examples, or none, fails the stream with a {@link BatchError}
 * @throws {ConfigError} when `size` is not an integer >= 1
 */
export function microBatches(size: number): OperatorFunction<Batch, Batch> {
  getOrThrow(integerAtLeast('microBatches', 'size', 1)(size));
  // In order: a batch pushed from inside a subscriber waits for the current one to be split, so the data
  // keep their order, and is freed if the stream ends while it waits; built from standard operators, so
  // a synchronous source stops as soon as the stream ends.
  return inOrder((batch: Batch) => split(batch, size), disposeBatch);
}

/** One batch's micro-batches, cut one at a time as the subscriber takes them; the batch is freed after. */
function split(batch: Batch, size: number): Observable<Batch> {
  return new Observable<Batch>((subscriber) => {
    const invalid = BatchError.checkBatch('microBatches', batch);
    if (invalid) {
      disposeBatch(batch);
      subscriber.error(invalid);
      return;
    }
    const examples = batch.xs.shape[0] as number;
    if (examples <= size) {
      subscriber.next(batch);
      subscriber.complete();
      return;
    }
    try {
      for (let start = 0; start < examples && !subscriber.closed; start += size) {
        const length = Math.min(size, examples - start);
        subscriber.next({ xs: sliceExamples(batch.xs, start, length), ys: sliceExamples(batch.ys, start, length) });
      }
    } finally {
      // Split to the end, or stopped in the middle by an unsubscribe or an error downstream: either way
      // the rest of the batch is no longer needed.
      disposeBatch(batch);
    }
    subscriber.complete();
  });
}

/** Examples `[start, start + length)` of `t`, as a new tensor. */
function sliceExamples(t: tf.Tensor, start: number, length: number): tf.Tensor {
  const begin = t.shape.map((_, axis) => (axis === 0 ? start : 0));
  const size = t.shape.map((dim, axis) => (axis === 0 ? length : dim));
  return tf.slice(t, begin, size);
}
