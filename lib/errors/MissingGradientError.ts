import { GradstreamError } from './GradstreamError.js';

/**
 * A parameter received no gradient: the loss does not depend on it. Sent down the stream's error
 * channel, with the parameter's name as `input`. Leave parameters that you do not train out of
 * {@link Model.params}.
 *
 * ## Example
 * ```ts
 * const model: Model = {
 *   params: { w: tf.zeros([2, 1]), unused: tf.zeros([1]) },
 *   apply: (p, xs) => tf.matMul(xs, p.w!),
 * };
 * // train({ model, ... }) fails the stream with:
 * // gradientSample: no gradient for parameter 'unused': the loss does not depend on it
 * ```
 */
export class MissingGradientError extends GradstreamError {
  /** The parameter that has no gradient. */
  readonly param: string;

  /**
   * @param fn the function that computed the gradients
   * @param param the parameter's name
   */
  constructor(fn: string, param: string) {
    super(`${fn}: no gradient for parameter '${param}': the loss does not depend on it`, param);
    this.param = param;
  }
}
