// What the main thread and a pool worker say to each other, and how their shared memory is laid out.
// Node-free: the worker_threads shell (lib/node) adds only what a worker starts from (its port).

/** The public function the pool's errors name. */
export const FN = 'workerPool';

/** A parameter's place in the shared parameter buffer (float32 elements). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  readonly offset: number;
  readonly size: number;
}

/** A module export: the URL a worker imports and the name it reads. */
export interface ModuleRef {
  readonly url: string;
  readonly name: string;
}

/** How a worker rebuilds the model's `apply`: from a Layers topology, or from a module. */
export type ModelSpec = { readonly kind: 'layers'; readonly topology: unknown } | ({ readonly kind: 'module' } & ModuleRef);

/** How a worker finds the loss: a built-in one by name, or from a module. */
export type LossSpec = { readonly kind: 'builtin'; readonly name: string } | ({ readonly kind: 'module' } & ModuleRef);

/** Gradient slots per worker: the main thread empties each as soon as it reads the message naming it. */
export const GRADIENT_SLOTS = 3;
export const SLOT_FREE = 0;
export const SLOT_FULL = 1;
/** In a worker's slot states, after one state per slot: a counter the main thread bumps (and notifies) per slot it frees. */
export const SLOTS_FREED = GRADIENT_SLOTS;

export interface EncodedTensor {
  readonly values: ArrayLike<number>;
  readonly shape: ReadonlyArray<number>;
  readonly dtype: 'float32' | 'int32' | 'bool';
}

/**
 * Main to worker: one micro-batch of window `window`, its `index`-th. Before computing it, the worker claims
 * it in the shared claims array (`claims[index]` goes from `window` to `-window`); the main thread may have
 * claimed it first, and computed it itself, and then the worker skips it.
 */
export interface BatchMessage {
  readonly type: 'batch';
  readonly window: number;
  readonly index: number;
  /** A new claims array (Int32, one slot per index of a window), sent when the main thread grows it. */
  readonly claims?: SharedArrayBuffer;
  readonly xs: EncodedTensor;
  readonly ys: EncodedTensor;
}

/** Worker to main: a micro-batch's sample, its gradients in one of the worker's slots (laid out as the params). */
export interface SampleMessage {
  readonly type: 'sample';
  readonly window: number;
  readonly index: number;
  readonly slot: number;
  readonly loss: number;
  readonly count: number;
  readonly examples: number;
  /** The most tensor bytes the worker has held after a micro-batch, since it started. */
  readonly peakBytes: number;
}

/** Worker to main: what went wrong, as text (an Error does not survive the trip with its class). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly index: number | undefined;
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

export type WorkerMessage = SampleMessage | ErrorMessage;

/**
 * The control array (Int32, shared by every worker of a run): [EVENTS] an event counter, bumped and
 * notified after every message to main; [PARAMS_WRITTEN] bumped after the window's params are written;
 * then per worker w whether it has exited, and its exit code.
 */
export const EVENTS = 0;
export const PARAMS_WRITTEN = 1;
export const exitedSlot = (worker: number): number => 2 + worker;
export const exitCodeSlot = (workers: number, worker: number): number => 2 + workers + worker;
export const controlLength = (workers: number): number => 2 + 2 * workers;
