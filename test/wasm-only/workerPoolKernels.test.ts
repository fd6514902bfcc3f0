import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import * as losses from '../../lib/models/losses/index.js';
import { liveWorkers } from '../../lib/node/internal/liveWorkers.js';
import { workerPool } from '../../lib/node/workerPool.js';
import { adam } from '../../lib/optim/adam.js';
import { train } from '../../lib/train/train.js';
import type { Model } from '../../lib/models/types.js';
import { batchData, disposeStep, randomValues, splitBatch, valuesOf } from '../support/fixtures.js';
import { workerScript } from '../support/workerScript.js';

const fixtures = new URL('../node/fixtures/models.mjs', import.meta.url);

async function run(workers: number | undefined): Promise<Record<string, Float32Array>> {
  // The same network as the fixture module's convApply: a 3×3 convolution of 2 filters, then a product.
  const params = { k: tf.tensor4d(randomValues(18, 3, 0.5), [3, 3, 1, 2]), w: tf.tensor2d(randomValues(216, 4, 0.3), [72, 3]) };
  const model: Model = {
    params,
    apply: (p, xs) => tf.tidy(() => tf.matMul(tf.reshape(tf.relu(tf.conv2d(xs as tf.Tensor4D, p['k'] as tf.Tensor4D, 1, 'same')), [xs.shape[0] as number, 72]), p['w']!)),
  };
  // Whole batches split by microBatchSize: the fast Slice, the fast matmul and the convolution gradients take part.
  const data = batchData(48, 36, 3, 21);
  const batches = splitBatch({ ...data, xShape: [48, 6, 6, 1] }, [16, 16, 16]);
  const gradients = workers === undefined ? undefined : workerPool({ workers, workerUrl: workerScript(), model: { url: fixtures, export: 'convApply' } });
  const steps = await lastValueFrom(
    from(batches).pipe(
      train({ model, loss: losses.meanSquaredError, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: 3, microBatchSize: 5, ...(gradients ? { gradients } : {}) }),
      toArray(),
    ),
  );
  const last = steps[steps.length - 1];
  const trained = valuesOf(last!.params);
  disposeStep(last);
  tf.dispose(Object.values(model.params));
  return trained;
}

describe('workerPool with useFastWasmKernels', () => {
  it('workers install the main thread\'s kernels: the pooled run equals the sequential one bit for bit', async () => {
    const restore = useFastWasmKernels();
    try {
      const sequential = await run(undefined);
      expect(await run(2)).toEqual(sequential);
    } finally {
      restore();
    }
    await vi.waitFor(() => expect(liveWorkers()).toBe(0), { timeout: 10_000, interval: 20 });
  });
});
