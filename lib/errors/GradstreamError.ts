/**
 * The base class of every error gradstream throws or sends down a stream.
 *
 * `input` carries the offending value, so that a handler can inspect it without parsing the message
 * (as ts-pattern's `NonExhaustiveError.input`).
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
