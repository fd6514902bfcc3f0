import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../batch/types.js';
import { ConfigError } from '../errors/ConfigError.js';
import type { BatchValues } from './types.js';

/**
 * Fresh tensors for examples `[start, end)` of a {@link BatchValues}: the whole batch by default, or one
 * micro-batch of it.
 *
 * ## Example
 * ```ts
 * fc.assert(fc.property(batchArbitrary({ xShape: [3], yShape: [1] }), (values) => {
 *   const batch = batchFromValues(values, 0, 1); // the first example alone
 *   expect(batch.xs.shape).toEqual([1, 3]);
 *   tf.dispose([batch.xs, batch.ys]);
 * }));
 * ```
 *
 * @param values the batch's values (not kept)
 * @param start the first example, default 0
 * @param end one past the last example, default all of them
 * @returns a new batch, owned by the caller
 * @throws {ConfigError} when `start` and `end` do not select at least one example of the batch
 */
export function batchFromValues(values: BatchValues, start = 0, end: number = values.examples): Batch {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > values.examples || end <= start)
    throw new ConfigError('batchFromValues', 'start, end', [start, end], `integers with 0 <= start < end <= ${values.examples}`);
  const xWidth = values.xs.length / values.examples;
  const yWidth = values.ys.length / values.examples;
  const [, ...xRest] = values.xShape;
  const [, ...yRest] = values.yShape;
  return {
    xs: tf.tensor(values.xs.slice(start * xWidth, end * xWidth), [end - start, ...xRest]),
    ys: tf.tensor(values.ys.slice(start * yWidth, end * yWidth), [end - start, ...yRest]),
  };
}
