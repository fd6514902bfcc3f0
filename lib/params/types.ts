import type * as tf from '@tensorflow/tfjs';

/**
 * Named parameters (or gradients, or updates): one tensor per name.
 *
 * Every map that flows through gradstream has the same names and shapes as the model's parameters.
 */
export type Params = Readonly<Record<string, tf.Tensor>>;
