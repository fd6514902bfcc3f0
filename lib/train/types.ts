import type { WindowState } from '../accumulate/types.js';
import type { Params } from '../params/types.js';

/**
 * The complete state of a training run at an update boundary, from which a run can continue exactly
 * (pass it as `initialState`). Tensors in it are owned as described on {@link TrainStep}.
 */
export interface TrainState<S = unknown> {
  /** The parameters after `step` updates. */
  readonly params: Params;
  /** The optimizer's state after `step` updates. */
  readonly optimizerState: S;
  /** Updates made so far. */
  readonly step: number;
  /** Micro-batches consumed so far, skipped ones included. */
  readonly microBatches: number;
  /** Examples consumed so far, skipped ones included. */
  readonly examples: number;
  /** Micro-batches left out of their window because of a non-finite loss or gradient, so far. */
  readonly skippedMicroBatches: number;
  /**
   * Windows that made no update, so far: dropped whole by `nonFinite: 'skip-update'`, or left with no
   * item to average, under any policy (a count of 0: every item masked out by a `{ sum, count }` loss, or
   * every micro-batch left out by `'skip-micro-batch'`).
   */
  readonly skippedUpdates: number;
  /**
   * The open window, for a run stopped in the middle of one (see {@link TrainStopped}); absent at an
   * update boundary. Its micro-batches and examples are not yet in the counters above: the data position
   * of the state is `examples + (window?.examples ?? 0)`.
   */
  readonly window?: WindowState;
}

/**
 * What {@link train} emits last when its `stop` notifier fires: the complete state, open window included,
 * from which a run continues exactly where it stopped (pass `state` as `initialState`, and restart the data
 * at `state.examples + (state.window?.examples ?? 0)` examples).
 *
 * Ownership: `state.params` and `state.optimizerState` are the last step's (the caller's now);
 * `state.window`'s tensors belong to the caller, who disposes them.
 */
export interface TrainStopped<S = unknown> {
  readonly stopped: true;
  /** The state to resume from, with the open window. */
  readonly state: TrainState<S>;
}

/**
 * What {@link train} emits after each optimizer update.
 *
 * Ownership: `params` (the same tensors as `state.params`) and the optimizer state stay valid until the
 * next step is emitted; the last step's belong to the caller after completion.
 */
export interface TrainStep<S = unknown> {
  /** Updates made so far, 1 for the first. */
  readonly step: number;
  /** Micro-batches in this window, skipped ones included. */
  readonly microBatches: number;
  /** Examples in this window, skipped ones included. */
  readonly examples: number;
  /** The mean loss over the window's examples (or items, for `{ sum, count }` losses). */
  readonly loss: number;
  /** Global L2 norm of the window's accumulated mean gradient, before any clipping. */
  readonly gradNorm: number;
  /** The learning rate this update used, when the optimizer has one. */
  readonly learningRate?: number;
  /** Micro-batches of this window left out for a non-finite loss or gradient. */
  readonly skippedMicroBatches: number;
  /** Windows that made no update since the previous step (see {@link TrainState.skippedUpdates}). */
  readonly skippedUpdates: number;
  /** The parameters after this update. */
  readonly params: Params;
  /** The complete training state after this update. */
  readonly state: TrainState<S>;
}
