import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/**
 * Runs `body` and asserts that it leaves exactly `expectedNew` more tensors alive than before
 * (0 unless the body hands tensors to the caller). Works for synchronous and asynchronous bodies.
 */
export async function expectNoLeaks<T>(body: () => T | Promise<T>, expectedNew = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await body();
  expect(tf.memory().numTensors - before, 'tensors left alive').toBe(expectedNew);
  return result;
}

/** Synchronous twin of {@link expectNoLeaks}, for use inside fast-check properties. */
export function expectNoLeaksSync<T>(body: () => T, expectedNew = 0): T {
  const before = tf.memory().numTensors;
  const result = body();
  expect(tf.memory().numTensors - before, 'tensors left alive').toBe(expectedNew);
  return result;
}

/** The backend this vitest project runs on. */
export const backend = (): string => tf.getBackend();
