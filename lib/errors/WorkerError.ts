import { GradstreamError } from './GradstreamError.js';

/**
 * A worker of a pool could not compute a micro-batch: its model or loss threw, it failed to start (a
 * module that does not load, a model that does not fit the parameters), or it died (`process.exit`, a
 * crash). Sent down the stream's error channel of `train`; the stream's workers are terminated.
 *
 * `input` is the micro-batch's index in its window (or `undefined` when no micro-batch was at fault).
 * The worker's own error is kept as text: `workerName`, `workerMessage` and `workerStack` (its stack in
 * the worker thread), and `exitCode` when the worker died.
 *
 * ## Example
 * ```ts
 * batches$.pipe(train({ ...options, gradients: workerPool({ workers: 2 }) })).subscribe({
 *   error: (e) => {
 *     if (e instanceof WorkerError) console.error(e.worker, e.workerMessage, e.workerStack);
 *   },
 * });
 * ```
 */
export class WorkerError extends GradstreamError {
  /** The worker's index in its pool (0-based). */
  readonly worker: number;
  /** The `name` of the error thrown in the worker (`'Error'`, `'ShapeMismatchError'`, ...), or `'exit'`. */
  readonly workerName: string;
  /** The message of the error thrown in the worker. */
  readonly workerMessage: string;
  /** The stack of the error thrown in the worker, as the worker printed it. */
  readonly workerStack: string;
  /** The worker's exit code, when it died. */
  readonly exitCode: number | undefined;

  /**
   * @param fn the function that ran the pool
   * @param worker the worker's index
   * @param what what the worker was doing (`'micro-batch 3 of the window'`, `'starting'`)
   * @param cause the worker's error, as text
   * @param microBatch the micro-batch's index in its window, if one was at fault
   */
  constructor(
    fn: string,
    worker: number,
    what: string,
    cause: { readonly name: string; readonly message: string; readonly stack: string; readonly exitCode?: number },
    microBatch?: number,
  ) {
    super(`${fn}: worker ${worker} failed on ${what}: ${cause.name}: ${cause.message}`, microBatch);
    this.worker = worker;
    this.workerName = cause.name;
    this.workerMessage = cause.message;
    this.workerStack = cause.stack;
    this.exitCode = cause.exitCode;
  }
}
