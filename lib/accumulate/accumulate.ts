import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { Observable, type OperatorFunction } from 'rxjs';
import { ConfigError } from '../errors/ConfigError.js';
import { NonFiniteGradientError } from '../errors/NonFiniteGradientError.js';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';
import type { GradientSample } from '../gradients/types.js';
import { disposeParams, firstNonFinite, mapParamsWith, zipParams } from '../internal/namedTensors.js';
import { getOrThrow, integerAtLeast, isFunction, oneOf, withDefault, type Validator } from '../internal/validate.js';
import type { Params } from '../optim/types.js';
import type { AccumulatedGradients } from './types.js';

/** Micro-batches per window: a fixed count, or a function of the updates made so far. */
export type AccumulationSteps = number | ((updateStep: number) => number);

/** What to do with a micro-batch whose loss or gradient holds a NaN or an infinity. */
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

/** The pure validator behind {@link accumulate}'s configuration. */
export const validateAccumulate = (
  fn: string,
  steps: unknown,
  options: AccumulateOptions,
): E.Either<ConfigError, { steps: AccumulationSteps; partialWindow: 'apply' | 'drop'; nonFinite: NonFinitePolicy; startStep: number }> =>
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
 * Ownership: the operator owns each incoming sample and disposes it once added (or skipped); it disposes
 * its running sum on error and on unsubscribe. Each emitted window's `grads` belong to the subscriber.
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
  const config = getOrThrow(validateAccumulate(FN, steps, options));
  const sizeAt = (updateStep: number): E.Either<ConfigError, number> => {
    if (typeof config.steps === 'number') return E.right(config.steps);
    const n = config.steps(updateStep);
    return Number.isInteger(n) && n >= 1
      ? E.right(n)
      : E.left(new ConfigError(FN, `accumulationSteps(${updateStep})`, n, 'an integer >= 1'));
  };

  return (source) =>
    new Observable<AccumulatedGradients>((subscriber) => {
      let updates = config.startStep;
      // The open window. `sum` and `lossSum` are the only tensors held between samples.
      let size = 0;
      let sum: Params | undefined;
      let lossSum: tf.Scalar | undefined;
      let count = 0;
      let microBatches = 0;
      let examples = 0;
      let skippedMicroBatches = 0;
      let poisoned = false;

      const release = (): void => {
        if (sum) disposeParams(sum);
        lossSum?.dispose();
        sum = undefined;
        lossSum = undefined;
      };
      const reset = (): void => {
        release();
        size = 0;
        count = 0;
        microBatches = 0;
        examples = 0;
        skippedMicroBatches = 0;
        poisoned = false;
      };
      const fail = (error: unknown): void => {
        reset();
        subscriber.error(error);
      };

      const close = (partial: boolean): void => {
        const counts = { updateStep: updates, microBatches, examples, skippedMicroBatches, partial };
        if (poisoned || !sum || !lossSum || count <= 0) {
          const reason = poisoned ? 'non-finite' : 'empty';
          reset();
          subscriber.next({ ...counts, skipped: true, reason });
          return;
        }
        const total = count;
        const summed = sum;
        // The mean over the window's items: Σ grads / Σ counts, divided once, at the end.
        const grads = tf.tidy(() => mapParamsWith(summed, (g) => tf.div(g, total)));
        const loss = (lossSum.dataSync()[0] as number) / total;
        reset();
        updates += 1;
        subscriber.next({ ...counts, skipped: false, grads, loss, count: total });
      };

      const add = (sample: GradientSample): void => {
        if (size === 0) {
          const n = sizeAt(updates);
          if (E.isLeft(n)) {
            disposeSample(sample);
            return fail(n.left);
          }
          size = n.right;
        }
        microBatches += 1;
        examples += sample.examples;
        const mismatch = sum && namesDiffer(sum, sample.grads);
        if (mismatch) {
          disposeSample(sample);
          return fail(new ParamMismatchError(FN, mismatch, 'a gradient sample has different parameters from its window', Object.keys(sample.grads)));
        }
        const bad = poisoned
          ? undefined
          : firstNonFinite([['loss', sample.loss], ...Object.entries(sample.grads).map(([name, g]) => [`gradient of '${name}'`, g] as const)]);
        if (bad !== undefined || poisoned) {
          disposeSample(sample);
          if (bad !== undefined) {
            if (config.nonFinite === 'error') return fail(new NonFiniteGradientError(updates + 1, microBatches, bad, bad));
            if (config.nonFinite === 'skip-micro-batch') skippedMicroBatches += 1;
            else {
              // skip-update: the window is lost; free its sum now and keep counting its micro-batches.
              poisoned = true;
              release();
            }
          }
        } else if (!sum || !lossSum) {
          // The first sample's tensors become the running sum as they are: no copy.
          sum = sample.grads;
          lossSum = sample.loss;
          count += sample.count;
        } else {
          const [previous, previousLoss] = [sum, lossSum];
          // Replace, then dispose the old sum: holding N sums would defeat the point of accumulating.
          sum = tf.tidy(() => zipParams(previous, sample.grads, tf.add));
          lossSum = tf.tidy(() => tf.add(previousLoss, sample.loss)) as tf.Scalar;
          disposeParams(previous);
          previousLoss.dispose();
          disposeSample(sample);
          count += sample.count;
        }
        if (microBatches === size) close(false);
      };

      const subscription = source.subscribe({
        next: (sample) => {
          // A synchronous source can go on emitting after this operator failed (its subscription is
          // not known yet when `subscribe` runs synchronously): what it sends is still ours to free.
          if (subscriber.closed) return disposeSample(sample);
          try {
            add(sample);
          } catch (error) {
            fail(error);
          }
        },
        error: (error: unknown) => fail(error),
        complete: () => {
          if (subscriber.closed) return reset();
          if (microBatches > 0) {
            if (config.partialWindow === 'apply') close(true);
            else reset();
          }
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        reset();
      };
    });
}

function disposeSample(sample: GradientSample): void {
  disposeParams(sample.grads);
  sample.loss.dispose();
}

/** The first name that one map has and the other lacks, or whose shapes differ; `undefined` if none. */
function namesDiffer(window: Params, sample: Params): string | undefined {
  for (const [name, t] of Object.entries(window)) {
    const g = sample[name];
    if (!g || g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i])) return name;
  }
  return Object.keys(sample).find((name) => !(name in window));
}
