import * as tf from '@tensorflow/tfjs';
import { describeValue } from '../internal/describeValue.js';
import { GradstreamError } from './GradstreamError.js';

/**
 * A batch cannot be trained on: `xs` and `ys` count different examples, it holds no example, a tensor
 * has no example axis, or `xs` or `ys` is not a live tensor (disposed already: the same batch sent twice,
 * or freed before the stream took it). Sent down the stream's error channel, with the shapes as `input`
 * (or `{ tensor: 'xs' | 'ys', value }` for a tensor that is not live).
 *
 * ## Example
 * ```ts
 * of({ xs: tf.zeros([4, 2]), ys: tf.zeros([3, 1]) }).pipe(microBatches(2)).subscribe({
 *   error: (e) => e instanceof BatchError && console.log(e.message),
 *   // microBatches: xs has 4 examples but ys has 3 (shapes [4, 2] and [3, 1])
 * });
 * ```
 */
export class BatchError extends GradstreamError {
  /**
   * @param fn the function that received the batch
   * @param detail what is wrong
   * @param input the offending value: the shapes of `xs` and `ys`, or a count
   */
  constructor(fn: string, detail: string, input: unknown) {
    super(`${fn}: ${detail}`, input);
  }

  /**
   * A batch, checked: `xs` and `ys` are live tensors (a disposed one is named: `train` disposes each batch
   * once used, so a batch sent twice arrives disposed the second time), then as {@link BatchError.check}.
   */
  static checkBatch(fn: string, batch: { readonly xs: unknown; readonly ys: unknown }): BatchError | undefined {
    for (const tensor of ['xs', 'ys'] as const) {
      const value = batch[tensor];
      if (!(value instanceof tf.Tensor))
        return new BatchError(fn, `${tensor} must be a tf.Tensor, got ${describeValue(value)}`, { tensor, value });
      if (value.isDisposed)
        return new BatchError(
          fn,
          `${tensor} is a disposed tensor (shape ${describeValue(value.shape)}): each batch is disposed once used, so a batch cannot be sent twice (of(b, b), repeat()) or disposed before the stream takes it`,
          { tensor, value },
        );
    }
    return BatchError.check(fn, (batch.xs as tf.Tensor).shape, (batch.ys as tf.Tensor).shape);
  }

  /** `xs` and `ys` of a batch, checked: both have an example axis, the same count, and at least one example. */
  static check(fn: string, xsShape: ReadonlyArray<number>, ysShape: ReadonlyArray<number>): BatchError | undefined {
    const shapes = { xs: xsShape, ys: ysShape };
    const where = `(shapes ${describeValue(xsShape)} and ${describeValue(ysShape)})`;
    if (xsShape.length === 0 || ysShape.length === 0)
      return new BatchError(fn, `xs and ys need an example axis ${where}`, shapes);
    if (xsShape[0] !== ysShape[0])
      return new BatchError(fn, `xs has ${xsShape[0]} examples but ys has ${ysShape[0]} ${where}`, shapes);
    if (xsShape[0] === 0) return new BatchError(fn, `the batch is empty ${where}`, shapes);
    return undefined;
  }
}
