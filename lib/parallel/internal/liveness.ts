import { WorkerError } from '../../errors/WorkerError.js';
import { FN, exitCodeSlot, exitedSlot, type ErrorMessage } from './protocol.js';

/** What the main thread knows of a lane here: the indices sent to its worker and not answered, oldest first. */
interface Waiting {
  readonly waiting: ReadonlyArray<number>;
}

/** The WorkerError for what worker `worker` said went wrong, starting or computing a micro-batch of `window`. */
export function workerFailed(worker: number, message: ErrorMessage, window: number): WorkerError {
  const what = message.index === undefined ? 'starting' : `micro-batch ${message.index} of window ${window}`;
  return new WorkerError(FN, worker, what, message, message.index);
}

/**
 * The WorkerError for the first worker that has exited (as it says in `control`), or undefined when every
 * one is alive. Called after its messages were read: a worker that exited did so without answering.
 */
export function exitedWorker(control: Int32Array, lanes: ReadonlyArray<Waiting>, window: number): WorkerError | undefined {
  for (const [w, lane] of lanes.entries()) {
    if (Atomics.load(control, exitedSlot(w)) !== 1) continue;
    const code = Atomics.load(control, exitCodeSlot(lanes.length, w));
    const pending = lane.waiting[0];
    const what = pending === undefined ? `window ${window}` : `micro-batch ${pending} of window ${window}`;
    const cause = { name: 'exit', message: `the worker exited with code ${code} before answering`, stack: '', exitCode: code };
    return new WorkerError(FN, w, what, cause, pending);
  }
  return undefined;
}
