import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../batch/types.js';
import type { Loss, Model } from '../models/types.js';
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

/** Options shared by the law checks of `gradstream/testing`. */
export interface LawOptions {
  /**
   * The model to train. Default: a fresh small tanh MLP for each run (1–4 inputs, 1–4 hidden units,
   * 1–3 outputs). Its `params` are where every run starts; the law never disposes them.
   */
  readonly model?: Model;
  /** The loss, default `losses.meanSquaredError`. */
  readonly loss?: Loss;
  /** Shape of one example's input; required with `model`. */
  readonly xShape?: ReadonlyArray<number>;
  /** Shape of one example's label; required with `model`. */
  readonly yShape?: ReadonlyArray<number>;
  /** Labels the loss expects, as in {@link batchArbitrary}: default `'real'`. */
  readonly labels?: 'real' | 'one-hot' | 'binary';
  /** Runs of the property, default 20 (fast-check's 100 is slow for training runs). */
  readonly numRuns?: number;
  /** fast-check's seed, to replay a failure. */
  readonly seed?: number;
}
