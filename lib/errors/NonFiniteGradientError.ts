import { GradstreamError } from './GradstreamError.js';

/**
 * A micro-batch produced a non-finite (NaN or infinite) loss or gradient, under `nonFinite: 'error'`.
 * Sent down the stream's error channel; the window's running sum is disposed, the parameters and the
 * optimizer state of the last emitted step are untouched.
 *
 * ## Example
 * ```ts
 * batches$.pipe(train({ model, loss, optimizer, accumulationSteps: 4 })).subscribe({
 *   error: (e) => {
 *     if (e instanceof NonFiniteGradientError) console.log(e.update, e.microBatch, e.input);
 *   },
 * });
 * ```
 */
export class NonFiniteGradientError extends GradstreamError {
  /** The update the window would have made (1 for the first update), as {@link TrainStep.step} counts. */
  readonly update: number;
  /**
   * The micro-batch's position in its window, 1 for the first; `undefined` when the accumulated gradient
   * was found non-finite as the window closed while every micro-batch's loss was finite (under `'error'`
   * gradients are checked once per window, see {@link NonFinitePolicy}).
   */
  readonly microBatch: number | undefined;

  /**
   * @param update the update the window would have made, 1-based
   * @param microBatch the micro-batch's position in the window, 1-based, or `undefined` for the window
   * @param what which value was non-finite: the loss, the count, or the gradient of a named parameter
   * @param input the offending value's name
   */
  constructor(update: number, microBatch: number | undefined, what: string, input: unknown) {
    super(`non-finite ${what} in ${microBatch === undefined ? '' : `micro-batch ${microBatch} of `}update ${update}`, input);
    this.update = update;
    this.microBatch = microBatch;
  }
}
