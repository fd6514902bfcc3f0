// Issue 13 ("what counts as a skipped update"): a window with no item at all makes no update under any
// policy, 'error' included, and is counted in the next step's skippedUpdates, as TrainStep documents.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Loss } from '../../lib/models/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, lazyBatches, linear } from '../support/fixtures.js';
import { expectNoLeaks } from '../support/leaks.js';

/** A masked loss: labels of all zeros are padding and count for nothing. */
const masked: Loss = (labels, predictions) => {
  const mask = tf.cast(tf.any(tf.notEqual(labels, 0), -1), 'float32');
  const perExample = tf.mean(tf.squaredDifference(labels, predictions), -1);
  return { sum: tf.sum(tf.mul(perExample, mask)) as tf.Scalar, count: tf.sum(mask) as tf.Scalar };
};

describe("skippedUpdates counts empty windows, under nonFinite: 'error' too", () => {
  it('a window of padding only makes no update and is counted once in the next step', async () => {
    const model = linear(3, 2);
    await expectNoLeaks(async () => {
      const padding = () => ({ xs: tf.ones([2, 3]), ys: tf.zeros([2, 2]) });
      const real = () => ({ xs: tf.ones([2, 3]), ys: tf.ones([2, 2]) });
      const steps = await collect(
        lazyBatches([real, padding, real]).pipe(train({ model, loss: masked, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1, nonFinite: 'error' })),
      );
      expect(steps.map((s) => [s.step, s.skippedUpdates])).toEqual([
        [1, 0],
        [2, 1],
      ]);
      expect(steps[1]!.state.skippedUpdates).toBe(1);
      expect(steps[1]!.state.microBatches).toBe(3);
      disposeStep(steps[1]);
    });
    tf.dispose(Object.values(model.params));
  });
});
