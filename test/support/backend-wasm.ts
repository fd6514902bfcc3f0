import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll } from 'vitest';
import { useWasmConvGradients } from '../../lib/backends/useWasmConvGradients.js';

beforeAll(async () => {
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('the wasm backend failed to initialise');
  await tf.ready();
  // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tfjs issue 8474): without it no Conv2D model trains.
  useWasmConvGradients();
});
