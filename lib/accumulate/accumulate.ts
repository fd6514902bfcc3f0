import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { OperatorFunction } from 'rxjs';
import { ConfigError } from '../errors/ConfigError.js';
import type { GradientSample } from '../gradients/types.js';
import { optionKeys, optionsObject } from '../internal/options.js';
import { getOrThrow, integerAtLeast, isFunction, oneOf, withDefault, type Validator } from '../internal/validate.js';
import { accumulateWindows } from './internal/accumulateWindows.js';
import type { AccumulatedGradients } from './types.js';

/** Micro-batches per window: a fixed count, or a function of the updates made so far. */
export type AccumulationSteps = number | ((updateStep: number) => number);

/**
 * What to do with a micro-batch whose loss or gradient holds a NaN or an infinity.
 *
 * Every micro-batch's loss (and count) is checked as it arrives: one scalar read, no extra kernel. Its
 * gradients are checked one by one only under `'skip-micro-batch'`, which must know which micro-batch to
 * leave out; under `'error'` and `'skip-update'` they are checked once per window, through the accumulated
 * gradient's norm, which a NaN or an infinity anywhere makes non-finite (checking every micro-batch's
 * gradients would cost a pass over all of them per micro-batch). So under `'error'` a non-finite gradient
 * behind a finite loss is reported for its window, without a micro-batch index.
 */
export type NonFinitePolicy = 'error' | 'skip-micro-batch' | 'skip-update';

/** Options of {@link accumulate}. */
export interface AccumulateOptions {
  /** At completion, a window short of its size is `'apply'`ed (default: its mean over its own count) or `'drop'`ped. */
  readonly partialWindow?: 'apply' | 'drop';
  /** Non-finite samples: fail the stream (default), leave the micro-batch out, or drop the whole window. */
  readonly nonFinite?: NonFinitePolicy;
  /** Updates already made, for schedules and error messages when a run resumes (default 0). */
  readonly startStep?: number;
}

const FN = 'accumulate';

/** {@link AccumulateOptions} after validation, with `steps`. */
export interface AccumulateConfig {
  readonly steps: AccumulationSteps;
  readonly partialWindow: 'apply' | 'drop';
  readonly nonFinite: NonFinitePolicy;
  readonly startStep: number;
}

/** The pure validator behind {@link accumulate}'s configuration. */
export const validateAccumulate = (fn: string, steps: unknown, options: AccumulateOptions): E.Either<ConfigError, AccumulateConfig> =>
  pipe(
    E.Do,
    E.bind('steps', () => accumulationSteps(fn)(steps)),
    E.bind('partialWindow', () => withDefault(oneOf(fn, 'partialWindow', ['apply', 'drop'] as const), 'apply')(options.partialWindow)),
    E.bind('nonFinite', () =>
      withDefault(oneOf(fn, 'nonFinite', ['error', 'skip-micro-batch', 'skip-update'] as const), 'error')(options.nonFinite),
    ),
    E.bind('startStep', () => withDefault(integerAtLeast(fn, 'startStep', 0), 0)(options.startStep)),
  );

/** `accumulationSteps`: an integer >= 1 or a function (whose values are checked as windows open). */
const accumulationSteps =
  (fn: string): Validator<AccumulationSteps> =>
  (value) =>
    typeof value === 'function'
      ? isFunction<(s: number) => number>(fn, 'accumulationSteps')(value)
      : integerAtLeast(fn, 'accumulationSteps', 1)(value);

/**
 * Sums gradient samples into windows of N micro-batches and emits each window's mean gradient: the
 * `bufferCount(N)` cadence, as a running sum, so that memory holds one sum however large N is.
 *
 * Samples are weighted by their `count`: the emitted gradient is Σ grads / Σ counts, exactly the full
 * batch's mean gradient however unevenly the batch was split (a mean of micro-batch means is not).
 * When the source completes in the middle of a window, that partial window is emitted as the mean over
 * its own count (never divided by N), unless `partialWindow: 'drop'`. Usable on its own by anyone who
 * computes gradient samples themselves; {@link train} uses it.
 *
 * With a schedule, the window that follows `k` updates holds `steps(k)` micro-batches; skipped windows
 * make no update, so the next window asks for the same `k`.
 *
 * Samples are taken one at a time, in arrival order: a sample pushed into the source from inside a
 * subscriber waits until the current window has been delivered, so windows come out in order.
 *
 * Ownership: the operator owns each incoming sample and disposes it once added (or skipped, or still
 * waiting when the stream ends); it disposes its running sum on error and on unsubscribe. Each emitted window's `grads` belong to the subscriber.
 *
 * ## Example
 * ```ts
 * const sample = (g: number) => ({ grads: { w: tf.scalar(g) }, loss: tf.scalar(g), count: 1, examples: 1 });
 * from([1, 2, 3, 4].map(sample)).pipe(accumulate(4)).subscribe((window) => {
 *   if (!window.skipped) console.log(window.grads['w']!.dataSync()); // [2.5]
 * });
 * ```
 *
 * @param steps micro-batches per window: an integer >= 1, or `(updateStep) => number`
 * @param options partial window, non-finite policy, and the updates already made
 * @returns an operator from samples to windows
 * @throws {ConfigError} when `steps` or an option is invalid; a schedule's invalid value, a non-finite
 *   sample under `'error'` ({@link NonFiniteGradientError}) and a sample whose parameter names differ from
 *   the window's ({@link ParamMismatchError}) fail the stream instead
 * @see train
 */
export function accumulate(
  steps: AccumulationSteps,
  options: AccumulateOptions = {},
): OperatorFunction<GradientSample, AccumulatedGradients> {
  getOrThrow(optionsObject(FN, optionKeys<AccumulateOptions>({ partialWindow: true, nonFinite: true, startStep: true }))(options));
  const config = getOrThrow(validateAccumulate(FN, steps, options));
  // The shared operator: train composes the same one, so the stream's window arithmetic exists once.
  return accumulateWindows(config);
}
