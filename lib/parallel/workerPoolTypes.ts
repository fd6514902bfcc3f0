import type { GradientPool } from './types.js';

/** A module and the name of one of its exports, for what must be imported again inside each worker. */
export interface ModuleExport {
  /** The module's URL (a `file:` URL, or a path the worker can import). */
  readonly url: URL | string;
  /** The export's name (default `'default'`). */
  readonly export?: string;
}

/** Options of {@link workerPool}. */
export interface WorkerPoolOptions {
  /**
   * Worker threads: a count, or `'auto'` (default): one per available core, less the main thread's
   * when it computes a share (`os.availableParallelism() - 1`, at least 1).
   */
  readonly workers?: number | 'auto';
  /**
   * Whether the main thread computes micro-batches too (default `true`): it would otherwise only wait
   * while the workers compute. Whenever the next sample in order is not ready, it takes the window's first
   * micro-batch that no worker has begun, so it computes as much as its other work (summing the samples,
   * the optimizer's update) leaves it time for, and a slow or still-starting worker does not hold the
   * window up. Its micro-batches fail with the sequential path's own errors.
   */
  readonly mainShare?: boolean;
  /**
   * Where a pure-function model's `apply` comes from in a worker: a module exporting the `Model`
   * (only its `apply` is used) or its `apply` function. Not needed for a model made by `fromLayersModel`:
   * its topology goes to the workers by itself.
   */
  readonly model?: ModuleExport;
  /** Where the loss comes from in a worker, for a loss that is not one of the built-in `losses`. */
  readonly loss?: ModuleExport;
  /** The worker script (default: `worker.js` next to this module); for bundlers that move files. */
  readonly workerUrl?: URL | string;
}

/** A {@link GradientPool} of worker threads, as {@link workerPool} makes it. */
export interface WorkerPool extends GradientPool {
  /** How many workers each run starts. */
  readonly workers: number;
  /**
   * Per worker, the most tensor bytes it held after computing a micro-batch (its replica's parameters,
   * the micro-batch and its gradients), over every run of this pool so far: flat in the window's size.
   */
  peakBytes(): ReadonlyArray<number>;
}
