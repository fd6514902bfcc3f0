import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../batch/types.js';
import type { TrainStep } from '../train/types.js';
import type { TrainOptions } from '../train/validateTrainOptions.js';

/**
 * The plain values of a batch, from which {@link batchFromValues} makes fresh tensors as often as needed.
 * Arbitraries yield values, not tensors, so that fast-check can generate and shrink them without making
 * tensors nobody frees.
 */
export interface BatchValues {
  /** Examples in the batch (the first axis of both shapes). */
  readonly examples: number;
  /** Inputs, row-major, `examples × (product of xShape[1..])` values. */
  readonly xs: Float32Array;
  /** Labels, row-major. */
  readonly ys: Float32Array;
  /** Shape of `xs`, examples first. */
  readonly xShape: ReadonlyArray<number>;
  /** Shape of `ys`, examples first. */
  readonly yShape: ReadonlyArray<number>;
}

/** The plain values of one tensor. */
export interface TensorValues {
  readonly shape: ReadonlyArray<number>;
  readonly values: Float32Array;
}

/** The plain values of a parameter map (or a gradient map), by name. */
export type ParamValues = Readonly<Record<string, TensorValues>>;

/** The plain values of a `GradientSample`. */
export interface GradientSampleValues {
  readonly grads: ParamValues;
  readonly loss: number;
  readonly count: number;
  readonly examples: number;
}

/**
 * A training pipeline under test: given `train`'s options, an operator from batches to one
 * {@link TrainStep} per update. `train` itself is one; so is any function that wraps it (preprocessing,
 * a custom optimizer chain, a hand-written loop that claims to do the same).
 *
 * Ownership: as for `train`: the pipeline owns the batches it receives; the last step's `params` and
 * `state.optimizerState` belong to the caller once the stream ends.
 */
export type Pipeline = (options: TrainOptions<unknown>) => OperatorFunction<Batch, TrainStep<unknown>>;
