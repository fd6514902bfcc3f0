import { concat, defer, finalize, type OperatorFunction } from 'rxjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { AccumulationSteps } from '../accumulate/accumulate.js';
import { windowSize } from '../accumulate/internal/windowSize.js';
import type { Batch } from '../batch/types.js';
import { BatchError } from '../errors/BatchError.js';
import type { GradientSample } from '../gradients/types.js';
import { disposeBatch } from '../internal/disposeBatch.js';
import { inOrder } from '../internal/inOrder.js';
import type { Loss, Model } from '../models/types.js';
import type { Params } from '../params/types.js';
import type { GradientPool } from './types.js';

/**
 * Micro-batches to gradient samples through a {@link GradientPool}: the window's micro-batches are
 * handed to the pool as they arrive and collected, in order, when the window is full (or when the
 * stream completes with a partial window), so that the samples reach `accumulate` exactly as the
 * sequential path would make them: same order, same window boundaries. Each sample goes on as soon as the
 * pool has it, so `accumulate` adds it while the pool computes the next ones.
 *
 * The window's size is read when its first micro-batch arrives, from the updates made so far (the
 * same `accumulationSteps(step)` that `accumulate` reads); parameters change only after the samples of
 * a window have been emitted and the update made, synchronously, before the next micro-batch.
 *
 * Ownership: takes the batches (the pool disposes them); the samples belong to the subscriber.
 * The pool's run is opened on subscription and closed on completion, error and unsubscribe.
 */
export function pooledSamples(
  pool: GradientPool,
  model: Model,
  loss: Loss,
  accumulationSteps: AccumulationSteps,
  current: () => { readonly params: Params; readonly step: number },
  alreadyInWindow = 0,
): OperatorFunction<Batch, GradientSample> {
  return (batches) =>
    defer(() => {
      const run = pool.open(model, loss);
      let pending = 0;
      let size = 0;
      // Micro-batches a resumed open window already holds: they shorten the first window only.
      let carried = alreadyInWindow;
      const collect = (): Iterable<GradientSample> => {
        pending = 0;
        return run.collect();
      };
      return concat(
        batches.pipe(
          // One micro-batch at a time, in arrival order, as on the sequential path (see inOrder).
          inOrder((batch: Batch) => {
            // The shape check the sequential path makes first, made here, so a malformed batch fails
            // with the same BatchError whether or not a pool computes it.
            const invalid = BatchError.checkBatch('gradientSample', batch);
            if (invalid) {
              disposeBatch(batch);
              throw invalid;
            }
            const { params, step } = current();
            if (pending === 0) {
              // accumulate's own window size; an invalid schedule value counts as 1 here, so that the
              // sample reaches accumulate, which fails the stream with it.
              const full = pipe(windowSize(accumulationSteps, step), E.getOrElse(() => 1));
              size = Math.max(1, full - carried);
              carried = 0;
            }
            run.submit(params, batch);
            pending += 1;
            return pending >= size ? collect() : [];
          }, disposeBatch),
        ),
        // The source completed mid-window: its samples go on, and accumulate applies or drops them.
        defer(() => (pending > 0 ? collect() : [])),
      ).pipe(finalize(() => run.close()));
    });
}
