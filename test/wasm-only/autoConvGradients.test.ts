// Issue 8, point 6: a Conv2D model trains on wasm without set-up, because gradstream registers the
// Conv2DBackpropFilter kernel tfjs-backend-wasm lacks the first time it differentiates. Failed before
// the fix with tfjs's raw "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'".
import * as tf from '@tensorflow/tfjs';
import { of } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { useWasmConvGradients } from '../../lib/backends/useWasmConvGradients.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, randomValues } from '../support/fixtures.js';

describe('train on wasm registers the missing conv gradient kernel by itself', () => {
  // Whatever happens, later tests in this worker find the kernel the setup file registered.
  afterEach(() => void useWasmConvGradients());

  it('a Conv2D model trains with no Conv2DBackpropFilter kernel registered beforehand, and the kernel stays', async () => {
    expect(tf.getBackend()).toBe('wasm');
    // The wasm setup file registered gradstream's kernel: take it away, as a user who never called useWasmConvGradients.
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    const layers = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })],
    });
    const model = fromLayersModel(layers);
    const before = tf.memory().numTensors;
    const batch = {
      xs: tf.tensor4d(randomValues(4 * 36, 1), [4, 6, 6, 1]),
      ys: tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3).toFloat()),
    };
    const [step] = await collect(of(batch).pipe(train({ model, loss: softmaxCrossEntropy, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })));
    expect(step!.step).toBe(1);
    expect(Number.isFinite(step!.loss)).toBe(true);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    disposeStep(step);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });
});
