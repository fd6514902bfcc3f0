// Issue 8, point 6: errors that guide, for data that flows (a disposed or reused batch, predictions that
// do not fit the labels, a kernel the backend lacks). Each test failed before its fix.
import * as tf from '@tensorflow/tfjs';
import { of, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BatchError } from '../../lib/errors/BatchError.js';
import { KernelNotRegisteredError } from '../../lib/errors/KernelNotRegisteredError.js';
import { ShapeMismatchError } from '../../lib/errors/ShapeMismatchError.js';
import type { Model } from '../../lib/models/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, linear, mse } from '../support/fixtures.js';
import { expectNoLeaks } from '../support/leaks.js';

const failure = async (run: () => Promise<unknown>): Promise<unknown> => run().then(() => undefined, (e: unknown) => e);

describe('a disposed or reused batch is a BatchError naming the tensor (issue 8, point 6)', () => {
  it.each([undefined, 2])('the same batch sent twice (microBatchSize %s): the second fails naming xs, nothing leaks', async (microBatchSize) => {
    const model = linear(3, 2);
    await expectNoLeaks(async () => {
      const batch = { xs: tf.ones([4, 3]), ys: tf.zeros([4, 2]) };
      let last: Parameters<typeof disposeStep>[0];
      const error = await failure(() =>
        collect(
          of(batch, batch).pipe(
            train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1, ...(microBatchSize ? { microBatchSize } : {}) }),
            // The first use trains; its step's tensors are the caller's once the stream fails.
            tap((step) => (last = step)),
          ),
        ),
      );
      expect(last?.step).toBe(microBatchSize ? 2 : 1);
      expect(error).toBeInstanceOf(BatchError);
      expect((error as BatchError).message).toMatch(/xs is a disposed tensor \(shape \[4, 3\]\).*sent twice/);
      expect((error as BatchError).input).toMatchObject({ tensor: 'xs' });
      disposeStep(last);
    });
    tf.dispose(Object.values(model.params));
  });

  it('a batch whose ys was disposed before train took it names ys', async () => {
    const model = linear(3, 2);
    await expectNoLeaks(async () => {
      const ys = tf.zeros([4, 2]);
      ys.dispose();
      const error = await failure(() => collect(of({ xs: tf.ones([4, 3]), ys }).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 }))));
      expect(error).toBeInstanceOf(BatchError);
      expect((error as BatchError).message).toContain('ys is a disposed tensor');
    });
    tf.dispose(Object.values(model.params));
  });
});

describe('predictions that do not fit the labels are named as such (issue 8, point 6)', () => {
  it('apply returning [4, 3] for 8 examples: the message names predictions and labels and both shapes', async () => {
    const w = tf.zeros([3, 3]);
    const model: Model = { params: { w }, apply: (p, xs) => tf.matMul(tf.slice(xs, [0, 0], [4, 3]), p['w']!) };
    await expectNoLeaks(async () => {
      const error = await failure(() =>
        collect(of({ xs: tf.ones([8, 3]), ys: tf.zeros([8, 3]) }).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 }))),
      );
      expect(error).toBeInstanceOf(ShapeMismatchError);
      expect((error as Error).message).toBe('gradientSample: predictions and labels (8 examples) differ in shape: predictions [4, 3], labels [8, 3]');
    });
    w.dispose();
  });
});

describe('a kernel the backend lacks is a typed error that names a fix (issue 8, point 6)', () => {
  it("a gradient that needs an unregistered kernel fails with KernelNotRegisteredError, not tfjs's raw Error", async () => {
    // Relu's gradient needs Step, which the forward pass does not: take Step away for the length of the test.
    const backend = tf.getBackend();
    const step = tf.getKernel(tf.Step, backend)!;
    const w = tf.ones([3, 2]);
    const model: Model = { params: { w }, apply: (p, xs) => tf.relu(tf.matMul(xs, p['w']!)) };
    tf.unregisterKernel(tf.Step, backend);
    try {
      await expectNoLeaks(async () => {
        const error = await failure(() =>
          collect(of({ xs: tf.ones([4, 3]), ys: tf.zeros([4, 2]) }).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 }))),
        );
        expect(error).toBeInstanceOf(KernelNotRegisteredError);
        expect(error).toMatchObject({ kernelName: 'Step', backendName: backend });
        expect((error as Error).message).toMatch(/tf\.registerKernel|tf\.setBackend/);
      });
    } finally {
      tf.registerKernel(step);
      w.dispose();
    }
  });
});
