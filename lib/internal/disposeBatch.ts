import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../batch/types.js';

/**
 * Disposes a batch's tensors (a batch whose `xs` is its `ys` is fine: tfjs ignores a second dispose).
 * A malformed batch (plain arrays, `{ x, y }`, a bare tensor) is freed as far as it holds tensors, under
 * whatever keys, and never throws: the stream took it, so it is the stream's to free, and the BatchError
 * that names what is wrong with it must reach the subscriber, not a TypeError from its cleanup.
 */
export function disposeBatch(batch: Batch): void {
  const value: unknown = batch;
  if (value instanceof tf.Tensor) return value.dispose();
  if (typeof value !== 'object' || value === null) return;
  for (const part of Object.values(value)) if (part instanceof tf.Tensor) part.dispose();
}
