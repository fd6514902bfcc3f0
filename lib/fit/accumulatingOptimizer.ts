import type * as tf from '@tensorflow/tfjs';
import { getOrThrow } from '../internal/validate.js';
import { AccumulatingOptimizer } from './internal/AccumulatingOptimizer.js';
import { validateAccumulatingOptions, type EpochEnd } from './internal/validateAccumulatingOptions.js';

/** Options of {@link accumulatingOptimizer}. */
export interface AccumulatingOptimizerOptions {
  /** Batches per update, an integer >= 1: `fit` at `batchSize: 32` with `steps: 8` trains as at batch 256. */
  readonly steps: number;
  /**
   * A window still open when an epoch of `fit` or `fitDataset` ends: `'carry'` (the default, as Keras 3)
   * keeps it open into the next epoch, so every update holds `steps` batches; `'apply'` applies it at once,
   * as the mean over the examples it holds.
   */
  readonly epochEnd?: EpochEnd;
}

/**
 * Gradient accumulation inside TensorFlow.js's own `model.fit` and `model.fitDataset`: wraps any tfjs
 * optimizer into one that adds each batch's gradient to a running sum and applies the inner optimizer once
 * every `steps` batches, with the mean gradient of all the examples of those batches. Keep your `compile`
 * and `fit` code: only the optimizer line changes. `fit` at `batchSize: 32` with `steps: 8` then trains as
 * `fit` at batch 256 would, holding 32 examples' activations at a time.
 *
 * - **Exact with uneven batches.** Each batch's gradient is weighted by its size, which `fit` and
 *   `fitDataset` report to callbacks: gradstream registers a callback with tfjs once
 *   (`tf.registerCallbackConstructor`, at verbosity 0, a no-op for models that do not accumulate), so there
 *   is nothing to add to your `callbacks`. An epoch's short last batch therefore counts for its own
 *   examples, not as a full batch (as it would in Keras 3 or Lightning). Where no size is reported (your own
 *   loop calling `minimize`, or `trainOnBatch`), every batch weighs the same, which is exact when they are
 *   the same size; call `reportBatchSize(n)` before each `minimize` to weigh them by size. A window that
 *   mixes sized and unsized batches is refused with a `BatchError`.
 * - **Once per update.** The inner optimizer runs once per window, so its iteration count, Adam's bias
 *   correction and any learning rate you change between updates advance per update, not per batch.
 *   `iterations` is the inner optimizer's.
 * - **Memory.** One running sum per variable, whatever `steps` is; freed when a window is applied.
 * - **Epoch ends.** `epochEnd: 'carry'` (default) or `'apply'`; `flush()` applies an open window at any time
 *   (for example after the last `fit`, since a carried window stays open).
 * - **State.** `window` shows the open window (batches, examples, the sums). `getWeights()`/`setWeights()`
 *   hold the inner optimizer's weights followed by the window, so `model.save({ includeOptimizer: true })`
 *   keeps a window mid-way; `getConfig()` holds `steps`, `epochEnd` and the inner optimizer's class and
 *   config, and the class is registered with tfjs serialisation, so `tf.loadLayersModel` rebuilds it. A plain
 *   `model.save()` keeps no optimizer state, as with any tfjs optimizer.
 *
 * The returned optimizer owns the inner one and the running sums: `dispose()` it when training is over
 * (`model.dispose()` does not dispose an optimizer you passed to `compile`).
 *
 * ## Example
 * ```ts
 * model.compile({
 *   optimizer: accumulatingOptimizer(tf.train.adam(1e-3), { steps: 8 }), // was: tf.train.adam(1e-3)
 *   loss: 'categoricalCrossentropy',
 * });
 * await model.fit(xs, ys, { batchSize: 32, epochs: 3 }); // trains as batchSize: 256 would
 * ```
 *
 * @param inner the tfjs optimizer to apply once per window (owned by the returned optimizer from now on)
 * @param options `steps` (batches per update, integer >= 1), `epochEnd` (`'carry'` or `'apply'`)
 * @returns a `tf.Optimizer` for `model.compile`
 * @throws {ConfigError} before anything is made, when `steps` is not an integer >= 1, `epochEnd` is not
 *   `'carry'` or `'apply'`, or `inner` is not a tfjs optimizer (a gradstream optimizer is named as such:
 *   it belongs in {@link train})
 * @see train for the stream, with count-weighted `{ sum, count }` losses, non-finite policies and scheduled N
 */
export function accumulatingOptimizer(inner: tf.Optimizer, options: AccumulatingOptimizerOptions): AccumulatingOptimizer {
  const config = getOrThrow(validateAccumulatingOptions(inner)(options));
  return new AccumulatingOptimizer(config);
}
