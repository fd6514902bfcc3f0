import { GradstreamError } from './GradstreamError.js';

/**
 * Two maps of named tensors that must match (gradients and parameters, updates and parameters) do not:
 * a name is missing or extra, or a shape differs. The message names the function and the parameter.
 *
 * ## Example
 * ```ts
 * const params = { w: tf.zeros([2]) };
 * try {
 *   sgd({ learningRate: 0.1 }).update({ w: tf.zeros([3]) }, state, params);
 * } catch (e) {
 *   if (e instanceof ParamMismatchError) console.log(e.param); // 'w'
 * }
 * ```
 */
export class ParamMismatchError extends GradstreamError {
  /** The function that found the mismatch. */
  readonly fn: string;
  /** The name of the parameter that does not match. */
  readonly param: string;

  /**
   * @param fn the function that found the mismatch, e.g. `adam.update`
   * @param param the parameter's name
   * @param detail what differs, e.g. `gradient shape [3] differs from parameter shape [2]`
   * @param input the offending value (a shape, or the name list)
   */
  constructor(fn: string, param: string, detail: string, input: unknown) {
    super(`${fn}: parameter '${param}': ${detail}`, input);
    this.fn = fn;
    this.param = param;
  }
}
