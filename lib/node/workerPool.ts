import { availableParallelism } from 'node:os';
import { getOrThrow } from '../internal/validate.js';
import { validateWorkerPoolOptions } from '../parallel/internal/options.js';
import type { WorkerPool, WorkerPoolOptions } from '../parallel/workerPoolTypes.js';
import { openRun } from './internal/openRun.js';

export type { ModuleExport, WorkerPool, WorkerPoolOptions } from '../parallel/workerPoolTypes.js';

/**
 * A `GradientPool` of worker threads, for the `gradients` option of `train`: each worker
 * holds a replica of the model and computes its share of every window's micro-batches, so an
 * accumulation window uses every core.
 *
 * Why it stays exact: every micro-batch of a window is computed with the window's parameters, whoever
 * computes it, and the samples come back one per micro-batch, in order, into the same running sum as on
 * one thread. A run with a pool is bit-identical to the run without one, whatever the number of
 * workers (on the same backend: the workers use the main thread's backend and fast matmul setting).
 *
 * The parameters reach the workers once per window through shared memory; a micro-batch goes as one
 * message, and a worker claims it (in shared memory) before computing it; its gradients come back through
 * a few shared slots per worker, copied straight from the worker's backend memory and out into the main
 * thread's (no buffer is allocated per micro-batch: on virtual machines a fresh buffer's page faults
 * cost more than the copy). The samples go on in order, each as soon as it is ready, so the main thread sums
 * one while the workers compute the next. Waiting for one, with `mainShare`, it computes the window's first
 * micro-batch that no worker has begun (every one of the first windows of a run, while the workers start);
 * without, it waits (in timed waits, checking that no worker died). Who computes a micro-batch changes
 * nothing in its sample. The optimizer is applied on the main thread, as without a pool. The workers start
 * when the stream is subscribed and are terminated when it completes, fails or is unsubscribed.
 *
 * How the model reaches a worker: a model made by `fromLayersModel` by itself (its JSON topology; the
 * weights are the window's parameters); a pure-function model through a module that exports it
 * (`model: { url, export }`), as usual with workers. The loss: a built-in one by itself, another one
 * through a module (`loss: { url, export }`).
 *
 * ## Example
 * ```ts
 * import { workerPool } from 'gradstream/node';
 *
 * // A Layers model: its topology goes to the workers by itself.
 * batches$.pipe(train({ model: fromLayersModel(layers), loss: losses.softmaxCrossEntropy, optimizer,
 *   accumulationSteps: 8, microBatchSize: 32, gradients: workerPool({ workers: 2 }) }));
 *
 * // A pure-function model: each worker imports it (model.ts exports `apply(params, xs)`).
 * const pool = workerPool({ workers: 'auto', model: { url: new URL('./model.js', import.meta.url), export: 'apply' } });
 * ```
 *
 * @param options workers, and where the model and loss come from in a worker
 * @returns the pool; no worker starts until a stream using it is subscribed
 * @throws {ConfigError} when an option is invalid
 * @see train
 */
export function workerPool(options: WorkerPoolOptions = {}): WorkerPool {
  // The environment the defaults depend on: the worker script sits next to this module (dist/node/worker.js).
  const environment = { cores: availableParallelism(), workerUrl: new URL('./worker.js', import.meta.url) };
  const config = getOrThrow(validateWorkerPoolOptions(environment)(options));
  const peaks = new Array<number>(config.workers).fill(0);
  return {
    workers: config.workers,
    open: (model, loss) => openRun(config, model, loss, peaks),
    peakBytes: () => [...peaks],
  };
}
