import * as tf from '@tensorflow/tfjs';
import { KernelNotRegisteredError } from '../errors/KernelNotRegisteredError.js';
import { fastWasmMatMulEnabled } from './fastWasmMatMulEnabled.js';
import { avgPoolGradWasm } from './internal/avgPoolGradWasm.js';
import { conv2DBackpropFilterMatMul } from './internal/conv2DBackpropFilterMatMul.js';
import { conv2DBackpropFilterWasm } from './internal/conv2DBackpropFilterWasm.js';
import { conv2DBackpropInputMatMul } from './internal/conv2DBackpropInputMatMul.js';
import { maxPoolGradWasm } from './internal/maxPoolGradWasm.js';
import { castWasm, identityWasm } from './internal/sharedDataWasm.js';
import { sliceWasm } from './internal/sliceWasm.js';
import { fastWasmKernelsState as state, isInForce, type FastWasmKernelsInstallation } from './internal/fastWasmKernelsState.js';
import { useFastWasmMatMul } from './useFastWasmMatMul.js';

const BACKEND = 'wasm';
const FN = 'useFastWasmKernels';
/** Kernels that must exist before anything is changed: ours delegate to some, the matmul override needs the rest. */
const REQUIRED: ReadonlyArray<string> = [
  tf.Slice,
  tf.MaxPoolGrad,
  tf.AvgPoolGrad,
  tf.Conv2DBackpropInput,
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Transpose,
  tf.Identity,
  tf.Cast,
];

/**
 * Turns on all of gradstream's fixes to tfjs-backend-wasm 4.22 for training, in one call: faster
 * transposed matrix products, a `Slice` that copies only the slice, clones that share memory instead of
 * copying it, and convolution and pooling gradients built on XNNPACK products or single passes over the
 * wasm heap.
 *
 * Call it once at start-up, after selecting the wasm backend, in any program that trains on wasm:
 * with it, a small CNN's convolution and pooling gradients use XNNPACK products, and an MLP fed
 * batches sliced from a dataset tensor no longer copies the whole dataset for each slice. What it
 * registers, for the wasm backend only (what each brings: docs/performance.md):
 * - `BatchMatMul`, `_FusedMatMul`: {@link useFastWasmMatMul} (transposes made explicit, then XNNPACK).
 * - `Slice`: reads the input through a view of the heap instead of `readSync`'s copy of all of it
 *   (the cost of a slice no longer grows with the tensor it is taken from). Bit-identical.
 * - `Identity`, and `Cast` to the input's own dtype: share the input's memory (counted references, as
 *   the cpu backend's `Identity` and tfjs-backend-wasm's `Reshape` do) instead of copying it. tfjs's
 *   gradient tape clones every tensor it saves, a dense layer's weights included, so this saves a copy
 *   of the weights per micro-batch (the MLP 784-256-10: 16 copies per micro-batch).
 * - `MaxPoolGrad`, `AvgPoolGrad`: one scatter pass over the windows; the cpu backend's results bit for bit.
 * - `Conv2DBackpropFilter`, `Conv2DBackpropInput` (NHWC, float32): im2col / col2im around one XNNPACK
 *   product. They equal the cpu backend's up to float32 rounding (the cpu kernels sum in float64);
 *   NCHW and other dtypes go to the exact kernels ({@link useWasmConvGradients}' and tfjs's).
 * tfjs-backend-wasm's `Concat` already reads numeric inputs through heap views, so it is left alone.
 *
 * Opt-in and global: kernel registration is global in TensorFlow.js, so these kernels serve every model
 * in the process, not only gradstream's. Idempotent: while in force, another call changes nothing and
 * returns the same `restore`. Import `@tensorflow/tfjs-backend-wasm` before calling.
 *
 * ## Example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 *
 * await tf.setBackend('wasm');
 * const restore = useFastWasmKernels();
 * // ... train: slices, conv and pooling gradients, transposed products run the fast kernels ...
 * restore(); // the kernels registered before are registered again
 * ```
 *
 * @returns `restore`: registers again the kernels that were registered before (and unregisters
 *   `Conv2DBackpropFilter` if none was), and turns the fast matmul off unless it was on before.
 *   Idempotent; kernels that someone else has re-registered since are left alone.
 * @throws {KernelNotRegisteredError} if one of the wasm kernels it builds on (`Slice`, `MaxPoolGrad`,
 *   `AvgPoolGrad`, `Conv2DBackpropInput`, `BatchMatMul`, `_FusedMatMul`, `Transpose`, `Identity`,
 *   `Cast`) is not registered (the wasm backend was not imported); nothing is changed then.
 * @see useFastWasmMatMul
 * @see useWasmConvGradients
 */
export function useFastWasmKernels(): () => void {
  const installed = state.installed;
  if (installed !== undefined) {
    if (isInForce(installed)) return installed.restore;
    installed.restore(); // partly replaced since: take back what is still ours, then start afresh
  }

  // Look everything up before changing anything, so that a missing kernel leaves the registry as it was.
  const original = (name: string): tf.KernelConfig => {
    const config = tf.getKernel(name, BACKEND);
    if (config === undefined) {
      throw new KernelNotRegisteredError(FN, name, BACKEND, "import '@tensorflow/tfjs-backend-wasm' before enabling the fast wasm kernels");
    }
    return config;
  };
  REQUIRED.forEach(original);
  const filterGradient = tf.getKernel(tf.Conv2DBackpropFilter, BACKEND);

  const ours: tf.KernelConfig[] = [
    { kernelName: tf.Slice, backendName: BACKEND, kernelFunc: sliceWasm(original(tf.Slice).kernelFunc) },
    { kernelName: tf.Identity, backendName: BACKEND, kernelFunc: identityWasm(original(tf.Identity).kernelFunc) },
    { kernelName: tf.Cast, backendName: BACKEND, kernelFunc: castWasm(original(tf.Cast).kernelFunc) },
    { kernelName: tf.MaxPoolGrad, backendName: BACKEND, kernelFunc: maxPoolGradWasm },
    { kernelName: tf.AvgPoolGrad, backendName: BACKEND, kernelFunc: avgPoolGradWasm },
    {
      kernelName: tf.Conv2DBackpropInput,
      backendName: BACKEND,
      kernelFunc: conv2DBackpropInputMatMul(original(tf.Conv2DBackpropInput).kernelFunc),
    },
    {
      kernelName: tf.Conv2DBackpropFilter,
      backendName: BACKEND,
      kernelFunc: conv2DBackpropFilterMatMul(filterGradient?.kernelFunc ?? conv2DBackpropFilterWasm),
    },
  ];
  const originals = ours.map((c) => tf.getKernel(c.kernelName, BACKEND));
  const matMulWasOn = fastWasmMatMulEnabled();
  const restoreMatMul = useFastWasmMatMul();
  ours.forEach(register);

  const installation: FastWasmKernelsInstallation = {
    ours,
    originals,
    restore: () => {
      if (state.installed !== installation) return;
      state.installed = undefined;
      ours.forEach((config, i) => {
        // Only take back what is still ours: a kernel someone registered after us is theirs now.
        if (tf.getKernel(config.kernelName, BACKEND) !== config) return;
        tf.unregisterKernel(config.kernelName, BACKEND);
        const before = originals[i];
        if (before !== undefined) tf.registerKernel(before);
      });
      if (!matMulWasOn) restoreMatMul();
    },
  };
  state.installed = installation;
  return installation.restore;
}

function register(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}


// Re-exported only for lib/node/workerPool.ts, which imports it from here: drop once it imports the internal module.
export { fastWasmKernelsInForce } from './internal/fastWasmKernelsState.js';
