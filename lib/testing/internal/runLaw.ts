import * as fc from 'fast-check';
import { LawViolationError } from '../LawViolationError.js';

/**
 * Runs a law's property with fast-check and, when it fails, throws a {@link LawViolationError} whose
 * message states the law, then fast-check's report: seed, shrunk counterexample, and the error it raised.
 */
export async function runLaw<T>(
  law: string,
  statement: string,
  property: fc.IAsyncPropertyWithHooks<[T]>,
  options: { readonly numRuns: number; readonly seed: number | undefined },
): Promise<void> {
  const details = await fc.check(property, { numRuns: options.numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  if (!details.failed) return;
  const report = fc.defaultReportMessage(details) ?? 'fast-check gave no report';
  // fast-check's report omits the error unless verbose: put what failed for the counterexample first.
  const failure = details.errorInstance === undefined ? '' : `\nFor the counterexample below: ${describeError(details.errorInstance)}`;
  throw new LawViolationError(law, `${law} law violated: ${statement}${failure}\n${report}`, details.counterexample?.[0]);
}

/** Throws a plain Error when `ok` is false: what a law's property raises, for fast-check to shrink. */
export function expectThat(ok: boolean, message: () => string): void {
  if (!ok) throw new Error(message());
}

/** An error as one line for a law's message. */
export const describeError = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
