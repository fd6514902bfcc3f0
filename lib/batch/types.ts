import type * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';

/**
 * A batch of examples: inputs `xs` and labels `ys`, whose first axis counts the examples (the same
 * count in both).
 *
 * Ownership: a batch handed to {@link train} or {@link microBatches} belongs to the stream from then on,
 * which disposes it once used (as tfjs's `fitDataset` does with dataset batches).
 */
export interface Batch {
  readonly xs: tf.Tensor;
  readonly ys: tf.Tensor;
}

/**
 * A data source that can start at an example: `source(startExample)` yields the batches of a run from
 * example `startExample` on, so that a resumed run skips data without making it (see {@link resumeBatches}).
 *
 * The contract, for a source of your own:
 * - `source(0)` is the whole run's data, and it is the same, in the same order, on every call;
 * - `source(p)` yields exactly the examples `source(0)` yields from the `p`-th on, in that order: the
 *   batch that example `p` falls in starts at it (its front is left out), and the batches after it are
 *   those of `source(0)`, so a run stopped at a micro-batch boundary splits the rest the same way;
 * - `source(p)` never makes a batch that lies wholly before `p` (that is the point: skipping is free);
 * - past the end, `source(p)` completes without a batch.
 *
 * {@link shuffledBatches} is one, per epoch: `(p) => shuffledBatches({ ...options, startAt: p })`.
 */
export type BatchSource = (startExample: number) => Observable<Batch>;
