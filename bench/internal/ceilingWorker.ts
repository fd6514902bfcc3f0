// The machine's ceiling for the workers case: a thread that computes gradient samples of the MLP in a
// loop, with no synchronisation with anyone. Run alone, then two at once, by bench/cases/workers.ts.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { mnistMlp } from '../../app/src/models/mnistMlp.js';

const { microBatch, samples } = workerData as { microBatch: number; samples: number };
await tf.setBackend('wasm');
await tf.ready();
useFastWasmKernels();
const model = fromLayersModel(mnistMlp({ seed: 42, hiddenUnits: 256 }));
const xs = tf.randomUniform([microBatch, 784]);
const ys = tf.oneHot(tf.randomUniform([microBatch], 0, 10, 'int32'), 10).toFloat();
const one = () => {
  const s = gradientSample(model, softmaxCrossEntropy, model.params, { xs, ys });
  tf.dispose([...Object.values(s.grads), s.loss]);
};
for (let i = 0; i < 3; i++) one();
parentPort?.postMessage('ready');
parentPort?.once('message', () => {
  const start = performance.now();
  for (let i = 0; i < samples; i++) one();
  parentPort?.postMessage(performance.now() - start);
});
