import * as tf from '@tensorflow/tfjs';
import { describeValue } from '../internal/describeValue.js';
import { GradstreamError } from './GradstreamError.js';

/**
 * A batch cannot be trained on: `xs` and `ys` count different examples, it holds no example, a tensor
 * has no example axis, or `xs` or `ys` is not a live tensor (a plain array, a missing key as in `{ x, y }`
 * or `{ xs, labels }`, or disposed already: the same batch sent twice, or freed before the stream took it). Sent down the stream's error channel, with the shapes as `input`
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
   * A batch, checked: an object with `xs` and `ys` that are live tensors (a disposed one is named: `train`
   * disposes each batch once used, so a batch sent twice arrives disposed the second time), then as
   * {@link BatchError.check}. The common first tries get a hint: plain arrays (wrap them with
   * `tf.tensor(...)`), and other key names (`{ x, y }`, `{ xs, labels }`: a batch is `{ xs, ys }`).
   */
  static checkBatch(fn: string, batch: unknown): BatchError | undefined {
    if (typeof batch !== 'object' || batch === null || batch instanceof tf.Tensor || Array.isArray(batch))
      return new BatchError(fn, `a batch must be an object { xs, ys } of two tf.Tensors, got ${describeValue(batch)}`, batch);
    const record = batch as Readonly<Record<string, unknown>>;
    for (const tensor of ['xs', 'ys'] as const) {
      const value = record[tensor];
      if (!(value instanceof tf.Tensor)) return new BatchError(fn, notATensor(tensor, value, record), { tensor, value });
      if (value.isDisposed)
        return new BatchError(
          fn,
          `${tensor} is a disposed tensor (shape ${describeValue(value.shape)}): each batch is disposed once used, so a batch cannot be sent twice (of(b, b), repeat()) or disposed before the stream takes it`,
          { tensor, value },
        );
    }
    return BatchError.check(fn, (record['xs'] as tf.Tensor).shape, (record['ys'] as tf.Tensor).shape);
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

/** Other names users give a batch's two parts, each with the key gradstream expects in its place. */
const OTHER_KEYS: Readonly<Record<string, 'xs' | 'ys'>> = {
  x: 'xs', inputs: 'xs', input: 'xs', features: 'xs', images: 'xs', data: 'xs',
  y: 'ys', labels: 'ys', label: 'ys', targets: 'ys', target: 'ys', outputs: 'ys',
};

/** Why `value` is not a batch's `tensor`, with the likely fix: wrap an array, or rename a key. */
function notATensor(tensor: 'xs' | 'ys', value: unknown, batch: Readonly<Record<string, unknown>>): string {
  if (Array.isArray(value) || ArrayBuffer.isView(value))
    return `${tensor} must be a tf.Tensor; got ${Array.isArray(value) ? 'an array' : 'a typed array'}: wrap it with tf.tensor(...)`;
  if (value === undefined) {
    const keys = Object.keys(batch);
    const renames = keys.filter((k) => OTHER_KEYS[k] !== undefined).map((k) => `${k} to ${OTHER_KEYS[k] as string}`);
    const got = keys.length === 0 ? 'no key' : `keys ${keys.join(', ')}`;
    return `${tensor} is missing: a batch is { xs, ys } (inputs xs, labels ys), got ${got}${renames.length > 0 ? ` (rename ${renames.join(' and ')})` : ''}`;
  }
  return `${tensor} must be a tf.Tensor, got ${describeValue(value)}`;
}
