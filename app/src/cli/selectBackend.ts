import * as tf from '@tensorflow/tfjs';
import { useFastWasmKernels } from 'gradstream/wasm';
import type { BackendName } from './types.js';

/**
 * Makes `name` the TensorFlow.js backend, loading the wasm backend on demand, and on wasm installs
 * gradstream's training kernels ({@link useFastWasmKernels}: fast transposed products, a Slice that
 * copies only the slice, clones that share memory, the Conv2D gradients tfjs-backend-wasm lacks or runs
 * slowly, pooling gradients). An edge of the program: it changes TensorFlow.js's global state.
 *
 * ## Example
 * ```ts
 * await selectBackend('wasm');
 * tf.getBackend(); // 'wasm'
 * ```
 *
 * @param name `wasm` or `cpu`
 * @returns a Promise resolved once the backend is ready
 * @throws Error when the backend cannot be initialised
 */
export async function selectBackend(name: BackendName): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) {
    throw new Error(`gradstream: the ${name} backend failed to initialise`);
  }
  await tf.ready();
  // On wasm, also the Conv2D filter gradient, without which tfjs-backend-wasm 4.22 cannot train a Conv2D
  // layer (tfjs issue 8474).
  if (name === 'wasm') useFastWasmKernels();
}
