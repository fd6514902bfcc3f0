import type { Batch } from '../batch/types.js';

/** Disposes a batch's tensors (a batch whose `xs` is its `ys` is fine: tfjs ignores a second dispose). */
export function disposeBatch(batch: Batch): void {
  batch.xs.dispose();
  batch.ys.dispose();
}
