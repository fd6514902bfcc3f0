import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, of, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { microBatches } from '../../lib/batch/microBatches.js';
import type { Batch } from '../../lib/batch/types.js';
import { BatchError } from '../../lib/errors/BatchError.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, linear, mse } from '../support/fixtures.js';
import { expectNoLeaks } from '../support/leaks.js';

const failure = async (run: () => Promise<unknown>): Promise<unknown> => run().then(() => undefined, (e: unknown) => e);

// Each common first try, made fresh (a tensor in it is freed by the stream), with what the error must say.
const mistakes: ReadonlyArray<readonly [string, () => unknown, RegExp]> = [
  ['plain arrays', () => ({ xs: [[1, 2, 3]], ys: [[0, 1]] }), /xs must be a tf\.Tensor; got an array: wrap it with tf\.tensor\(\.\.\.\)/],
  ['{ x, y }', () => ({ x: tf.ones([1, 3]), y: tf.zeros([1, 2]) }), /xs is missing: a batch is \{ xs, ys \}.*got keys x, y \(rename x to xs and y to ys\)/],
  ['{ xs, labels }', () => ({ xs: tf.ones([1, 3]), labels: tf.zeros([1, 2]) }), /ys is missing: a batch is \{ xs, ys \}.*\(rename labels to ys\)/],
  ['a bare tensor', () => tf.ones([1, 3]), /a batch must be an object \{ xs, ys \}/],
];

/** Frees the tensors a mistaken batch holds that the stream never saw (none, when it took them). */
const good = (): Batch => ({ xs: tf.ones([2, 3]), ys: tf.zeros([2, 2]) });

describe('a malformed batch fails the stream with a BatchError naming the field', () => {
  for (const microBatchSize of [undefined, 1]) {
    it.each(mistakes)(`train (microBatchSize ${String(microBatchSize)}), %s: a BatchError after the last step, nothing leaks`, async (_, make, message) => {
      const model = linear(3, 2);
      await expectNoLeaks(async () => {
        let last: Parameters<typeof disposeStep>[0];
        const error = await failure(() =>
          collect(
            of(good(), make() as Batch).pipe(
              train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1, ...(microBatchSize ? { microBatchSize } : {}) }),
              tap((step) => (last = step)),
            ),
          ),
        );
        expect(error).toBeInstanceOf(BatchError);
        expect((error as Error).message).toMatch(message);
        // The step before the bad batch is intact, and the caller's.
        expect(last?.params['w']?.isDisposed).toBe(false);
        disposeStep(last);
      });
      tf.dispose(Object.values(model.params));
    });
  }

  it.each(mistakes)('microBatches, %s: a BatchError down the error channel, nothing leaks', async (_, make, message) => {
    await expectNoLeaks(async () => {
      const error = await failure(() => lastValueFrom(of(make() as Batch).pipe(microBatches(2))));
      expect(error).toBeInstanceOf(BatchError);
      expect((error as Error).message).toMatch(message);
    });
  });

  it.each(mistakes)('gradientSample, %s: throws a BatchError', (_, make, message) => {
    const model = linear(3, 2);
    const batch = make();
    expect(() => gradientSample(model, mse, model.params, batch as Batch)).toThrow(message);
    tf.dispose(batch as tf.TensorContainer);
    tf.dispose(Object.values(model.params));
  });
});
