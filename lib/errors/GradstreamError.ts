/**
 * The base class of every error gradstream throws or sends down a stream.
 *
 * `input` carries the offending value, so that a handler can inspect it without parsing the message
 * (as ts-pattern's `NonExhaustiveError.input`). `name` is the subclass's name, so one `instanceof`
 * check catches every gradstream error and `name` tells them apart.
 *
 * ## Example
 * ```ts
 * try {
 *   sgd({ learningRate: 0 });
 * } catch (e) {
 *   if (e instanceof GradstreamError) console.log(e.name, e.input); // ConfigError 0
 * }
 * ```
 *
 * @see {@link ConfigError}, {@link BatchError}, {@link ShapeMismatchError}, {@link ParamMismatchError},
 *   {@link MissingGradientError}, {@link NonFiniteGradientError}, {@link KernelNotRegisteredError}
 */
export abstract class GradstreamError extends Error {
  /** The value that caused the error. */
  readonly input: unknown;

  protected constructor(message: string, input: unknown) {
    super(message);
    this.name = new.target.name;
    this.input = input;
  }
}
