import * as tf from '@tensorflow/tfjs';
import { LawViolationError } from './LawViolationError.js';

/**
 * Runs `body` and asserts that it leaves exactly `expectedNew` more tensors alive than before (0 unless
 * it hands tensors to the caller), in any test runner: throws a {@link LawViolationError} (law
 * `no-leaks`) saying how many tensors were left. For a synchronous body it returns the body's result;
 * for an asynchronous one, a promise of it, counted once the promise settles. A body that throws is
 * counted too, and its error is passed on (a leak is reported first, with the body's error in the message).
 *
 * ## Example
 * ```ts
 * const loss = assertNoTensorLeaks(() => tf.tidy(() => myLoss(labels, predictions).sum().dataSync()[0]));
 * await assertNoTensorLeaks(async () => disposeLast(await lastValueFrom(batches$.pipe(train(options)))));
 * ```
 *
 * @param body the code to measure; it may return a value or a promise
 * @param expectedNew tensors the body hands to the caller, default 0
 * @returns what the body returns (a promise when it returns one)
 * @throws {LawViolationError} when the count of live tensors changed by anything but `expectedNew`
 */
export function assertNoTensorLeaks<T>(body: () => Promise<T>, expectedNew?: number): Promise<T>;
export function assertNoTensorLeaks<T>(body: () => T, expectedNew?: number): T;
export function assertNoTensorLeaks<T>(body: () => T | Promise<T>, expectedNew = 0): T | Promise<T> {
  const before = tf.memory().numTensors;
  const check = (thrown?: unknown): void => {
    const left = tf.memory().numTensors - before;
    if (left !== expectedNew)
      throw new LawViolationError(
        'no-leaks',
        `assertNoTensorLeaks: ${left} tensor(s) left alive where ${expectedNew} were expected (${before} before, ${before + left} after)` +
          (thrown === undefined ? '' : `; the body also threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`),
        left,
      );
  };
  let result: T | Promise<T>;
  try {
    result = body();
  } catch (error) {
    check(error);
    throw error;
  }
  if (result instanceof Promise)
    return result.then(
      (value) => {
        check();
        return value;
      },
      (error: unknown) => {
        check(error);
        throw error;
      },
    );
  check();
  return result;
}
