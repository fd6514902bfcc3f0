import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../params/types.js';

/** What every emitted window reports, applied or skipped. */
interface WindowCounts {
  /** Updates made before this window (its schedule step): 0 for the first window. */
  readonly updateStep: number;
  /** Micro-batches the window took in, skipped ones included. */
  readonly microBatches: number;
  /** Examples the window took in, skipped ones included. */
  readonly examples: number;
  /** Micro-batches left out for a non-finite loss or gradient (`nonFinite: 'skip-micro-batch'`). */
  readonly skippedMicroBatches: number;
  /** True for the last window of a stream, cut short by completion before it reached its size. */
  readonly partial: boolean;
}

/**
 * A window's accumulated gradient: the mean gradient over all the window's items, ready for the
 * optimizer. `skipped: true` marks a window that makes no update (see {@link SkippedWindow}).
 */
export interface AppliedWindow extends WindowCounts {
  readonly skipped: false;
  /** Σ sample grads / Σ sample counts: the full batch's mean gradient. Owned by the subscriber. */
  readonly grads: Params;
  /** Σ sample losses / Σ sample counts: the mean loss over the window's items. */
  readonly loss: number;
  /** Items the mean is over (examples, or real tokens for `{ sum, count }` losses), skipped ones excluded. */
  readonly count: number;
  /** The global L2 norm of `grads` (read once per window; it doubles as their finiteness check). */
  readonly gradNorm: number;
}

/**
 * A window that makes no update: under `nonFinite: 'skip-update'` one of its micro-batches was
 * non-finite, or under `'skip-micro-batch'` every one of them was. It carries no tensor.
 */
export interface SkippedWindow extends WindowCounts {
  readonly skipped: true;
  /** Why: `'non-finite'` (skip-update) or `'empty'` (every micro-batch skipped, or none held any item). */
  readonly reason: 'non-finite' | 'empty';
}

/** What {@link accumulate} emits once per window. */
export type AccumulatedGradients = AppliedWindow | SkippedWindow;

/**
 * The open window of an accumulation, as a value (Optax's `MultiStepsState`): what a checkpoint taken in
 * the middle of a window saves, and what {@link train} resumes from (`initialState.window`).
 *
 * Ownership: whoever holds the value owns `sum` and `lossSum`. A window handed to `train` stays the
 * caller's (train works on copies).
 */
export interface WindowState {
  /** Updates made before this window: the step its schedule size and error messages use. */
  readonly updates: number;
  /** The window's size, fixed when its first micro-batch arrives; 0 while it is empty. */
  readonly size: number;
  /** Micro-batches taken in so far, skipped ones included. */
  readonly microBatches: number;
  /** Examples taken in so far, skipped ones included. */
  readonly examples: number;
  /** Micro-batches left out so far (`nonFinite: 'skip-micro-batch'`). */
  readonly skippedMicroBatches: number;
  /** Σ of the counts of the samples in `sum`. */
  readonly count: number;
  /** True when a non-finite value has already condemned the window (`'skip-update'`). */
  readonly poisoned: boolean;
  /** Σ of the samples' gradients; absent while no sample has been added (or after poisoning). */
  readonly sum?: Params;
  /** Σ of the samples' summed losses, beside `sum`. */
  readonly lossSum?: tf.Scalar;
}
