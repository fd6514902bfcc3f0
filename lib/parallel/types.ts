import type { Batch } from '../batch/types.js';
import type { GradientSample } from '../gradients/types.js';
import type { Loss, Model } from '../models/types.js';
import type { Params } from '../params/types.js';

/**
 * Where a window's micro-batches are computed when not one after the other on the calling thread: the
 * `gradients` option of `train`. `workerPool` (from `gradstream/node`) is one; anything that keeps
 * this contract is another.
 *
 * The contract keeps accumulation exact: every micro-batch of a window is computed with the window's
 * parameters, and the samples come back one per micro-batch, in the order the micro-batches went in, so
 * that the running sum, the non-finite policies, the partial window and the metrics downstream are the
 * ones of the sequential path.
 */
export interface GradientPool {
  /**
   * Starts the pool for one run of `train` (called when the stream is subscribed).
   *
   * @param model the run's model (a pool may read its topology; it must not dispose `params`)
   * @param loss the run's loss
   * @returns the run, which `train` closes on completion, error and unsubscribe
   */
  open(model: Model, loss: Loss): GradientPoolRun;
}

/** One run of a {@link GradientPool}: micro-batches in, samples out, in order. */
export interface GradientPoolRun {
  /**
   * Hands over one micro-batch of the open window, to be computed with `params`.
   * Ownership: the run takes `batch` (disposed once its values are read, also when this throws);
   * `params` stay the caller's and must stay valid and unchanged until the window's {@link collect} has
   * yielded its last sample.
   */
  submit(params: Params, batch: Batch): void;
  /**
   * The samples of every micro-batch submitted since the last collect, in submission order, each as soon
   * as it is ready: iterating waits for the next one, so the caller can sum a sample while the pool still
   * computes the later ones. The samples' tensors belong to the caller once yielded.
   * Read it to the end before the next {@link submit}: a collect left unfinished leaves the run unusable
   * (its remaining samples are freed). An array is a valid result too (all samples at once).
   * @throws when a micro-batch could not be computed, while iterating (the run is unusable afterwards)
   */
  collect(): Iterable<GradientSample>;
  /** Stops the run and frees what it holds (idempotent). */
  close(): void;
}
