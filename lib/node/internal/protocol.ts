import type { MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

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

/** What a worker starts from (its `workerData`). */
export interface WorkerInit {
  readonly index: number;
  readonly workers: number;
  /** Int32: [0] event counter (bumped and notified after every message to main), [1] params written,
   * [2 + w] worker w has exited, [2 + workers + w] its exit code. */
  readonly control: SharedArrayBuffer;
  readonly params: SharedArrayBuffer;
  readonly specs: ReadonlyArray<ParamSpec>;
  readonly model: { readonly kind: 'layers'; readonly topology: unknown } | ({ readonly kind: 'module' } & ModuleRef);
  readonly loss: { readonly kind: 'builtin'; readonly name: string } | ({ readonly kind: 'module' } & ModuleRef);
  readonly backend: string;
  readonly fastWasmMatMul: boolean;
  /** useFastWasmKernels() is in force on the main thread. */
  readonly fastWasmKernels: boolean;
  readonly port: MessagePort;
  /** The claims array (see {@link BatchMessage}). */
  readonly claims: SharedArrayBuffer;
  /**
   * This worker's gradient slots: {@link GRADIENT_SLOTS} regions of every parameter's gradient (float32, laid
   * out as `params`), and their states (Int32, one per slot: {@link SLOT_FREE} or {@link SLOT_FULL}; then
   * at {@link SLOTS_FREED} a counter the main thread bumps, and notifies, each time it frees one).
   */
  readonly grads: SharedArrayBuffer;
  readonly slotStates: SharedArrayBuffer;
}

/** Gradient slots per worker: the main thread empties each as soon as it reads the message naming it. */
export const GRADIENT_SLOTS = 3;
export const SLOT_FREE = 0;
export const SLOT_FULL = 1;
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

export const EVENTS = 0;
export const PARAMS_WRITTEN = 1;
export const exitedSlot = (worker: number): number => 2 + worker;
export const exitCodeSlot = (workers: number, worker: number): number => 2 + workers + worker;
export const controlLength = (workers: number): number => 2 + 2 * workers;

/** Claims a micro-batch of window `window` (>= 1) for the caller: true when nobody had. */
export const claim = (claims: Int32Array, index: number, window: number): boolean =>
  Atomics.compareExchange(claims, index, window, -window) === window;

/** A micro-batch's tensor, made again from its message. */
export const decode = (t: EncodedTensor): tf.Tensor => tf.tensor(t.values as number[], [...t.shape], t.dtype);
