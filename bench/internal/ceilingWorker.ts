// The machine's ceiling for the workers case: a thread that computes gradient samples of the MLP in a
// loop, with no synchronisation with anyone. Each 'go' computes `samples` of them and answers the time;
// bench/cases/workers.ts runs one alone and two at once, in alternated rounds.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { mnistMlp } from '../../app/src/models/mnistMlp.js';

const { microBatch, samples, warmSamples } = workerData as { microBatch: number; samples: number; warmSamples: number };
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
// To the steady speed of a long run, as the pools of the workers case are (see WARM_WINDOWS there).
for (let i = 0; i < warmSamples; i++) one();
parentPort?.postMessage('ready');
parentPort?.on('message', () => {
  const start = performance.now();
  for (let i = 0; i < samples; i++) one();
  parentPort?.postMessage(performance.now() - start);
});
