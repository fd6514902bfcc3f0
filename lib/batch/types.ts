import type * as tf from '@tensorflow/tfjs';

/**
 * A batch of examples: inputs `xs` and labels `ys`, whose first axis counts the examples (the same
 * count in both).
 *
 * Ownership: a batch handed to {@link train} or {@link microBatches} belongs to the stream from then on,
 * which disposes it once used (as tfjs's `fitDataset` does with dataset batches).
 */
export interface Batch {
  readonly xs: tf.Tensor;
  readonly ys: tf.Tensor;
}
