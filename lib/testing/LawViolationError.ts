import { GradstreamError } from '../errors/GradstreamError.js';

/**
 * A law check of `gradstream/testing` failed: the message names the law, and carries fast-check's report
 * (the seed, the shrunk counterexample and what went wrong for it); `input` is the counterexample itself.
 * Thrown by the `assert…Law` functions and {@link assertNoTensorLeaks}; any test runner shows it as a failure.
 *
 * ## Example
 * ```ts
 * try {
 *   await assertAccumulationLaw(myPipeline);
 * } catch (e) {
 *   if (e instanceof LawViolationError) console.log(e.law, e.input); // 'accumulation', [{ … }]
 * }
 * ```
 */
export class LawViolationError extends GradstreamError {
  /** The law that failed, e.g. `accumulation`. */
  readonly law: string;

  /**
   * @param law the law's name
   * @param message what failed, with fast-check's report when there is one
   * @param counterexample the values the law failed for
   */
  constructor(law: string, message: string, counterexample: unknown) {
    super(message, counterexample);
    this.law = law;
  }
}
