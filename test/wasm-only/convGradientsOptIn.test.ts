// gradstream registers no kernel by itself: a Conv2D model on wasm needs useWasmConvGradients (or
// useFastWasmKernels) from gradstream/wasm, and without it the error says so instead of tfjs's raw
// "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'".
import * as tf from '@tensorflow/tfjs';
import { of } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useWasmConvGradients } from '../../lib/backends/useWasmConvGradients.js';
import { KernelNotRegisteredError } from '../../lib/errors/KernelNotRegisteredError.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { collect, disposeStep, randomValues } from '../support/fixtures.js';

const convNet = (): tf.Sequential =>
  tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 3 })],
  });

const convBatch = (): { xs: tf.Tensor; ys: tf.Tensor } => ({
  xs: tf.tensor4d(randomValues(4 * 36, 1), [4, 6, 6, 1]),
  ys: tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3).toFloat()),
});

describe('train on wasm uses only the kernels the user registered', () => {
  beforeEach(() => {
    expect(tf.getBackend()).toBe('wasm');
    // The wasm setup file registered gradstream's kernel: take it away, as for a user who never called useWasmConvGradients.
    tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
  });
  // Whatever happens, later tests in this worker find the kernel the setup file registered.
  afterEach(() => void useWasmConvGradients());

  it('without useWasmConvGradients, a Conv2D model fails with a KernelNotRegisteredError naming gradstream/wasm, and nothing is registered', async () => {
    const layers = convNet();
    const model = fromLayersModel(layers);
    const before = tf.memory().numTensors;
    const batch = convBatch();

    const run = collect(of(batch).pipe(train({ model, loss: softmaxCrossEntropy, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })));

    const error = await run.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(KernelNotRegisteredError);
    expect((error as KernelNotRegisteredError).kernelName).toBe(tf.Conv2DBackpropFilter);
    expect((error as Error).message).toContain("import { useWasmConvGradients } from 'gradstream/wasm'");
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    tf.dispose([batch.xs, batch.ys]);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
  });

  it('after useWasmConvGradients, the same model trains', async () => {
    const restore = useWasmConvGradients();
    const layers = convNet();
    const model = fromLayersModel(layers);
    const before = tf.memory().numTensors;
    const batch = convBatch();

    const [step] = await collect(of(batch).pipe(train({ model, loss: softmaxCrossEntropy, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })));

    expect(step!.step).toBe(1);
    expect(Number.isFinite(step!.loss)).toBe(true);
    disposeStep(step);
    expect(tf.memory().numTensors).toBe(before);
    layers.dispose();
    restore();
  });
});
