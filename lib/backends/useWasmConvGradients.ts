import * as tf from '@tensorflow/tfjs';
import { KernelNotRegisteredError } from '../errors/KernelNotRegisteredError.js';
import { conv2DBackpropFilterWasm } from './internal/conv2DBackpropFilterWasm.js';

const BACKEND = 'wasm';

/**
 * The registration made by the last call that registered, and the `restore` it returned. Kernel
 * registration is global in TensorFlow.js, so this is global too: it lets a second call return the
 * first's `restore` instead of a no-op.
 */
let installed: { readonly config: tf.KernelConfig; readonly restore: () => void } | undefined;

/**
 * Lets Conv2D models train on the wasm backend, by registering the `Conv2DBackpropFilter` kernel that
 * tfjs-backend-wasm lacks.
 *
 * tfjs-backend-wasm 4.22 has the input gradient of a convolution but not its filter gradient (tfjs
 * issue 8474), so the first training step of any model with a Conv2D layer fails with "Kernel
 * 'Conv2DBackpropFilter' not registered for backend 'wasm'". The kernel registered here is a plain
 * TypeScript loop over the wasm heap that adds, in float64 and in the same order, exactly what
 * tfjs-backend-cpu's kernel adds, so its gradients are the cpu backend's bit for bit (NHWC and NCHW,
 * any strides and padding; dilation 1, the only one tfjs's filter gradient supports). It is fast enough
 * for small CNNs such as an MNIST CNN at batch 32, far faster than the cpu backend's JavaScript kernel;
 * `useFastWasmKernels` has a faster one (figures: docs/performance.md).
 *
 * Global (kernel registration is global in TensorFlow.js); other backends are untouched. Registers
 * only when no wasm `Conv2DBackpropFilter` kernel exists, so a future tfjs that ships its own keeps it.
 * Idempotent: while ours is registered, another call changes nothing and returns the same `restore`.
 * Import `@tensorflow/tfjs-backend-wasm` before calling; the backend need not be active yet.
 *
 * ## Example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 *
 * await tf.setBackend('wasm');
 * const restore = useWasmConvGradients();
 * const dW = tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same').sum())(w); // works on wasm now
 * restore(); // the kernel is unregistered again
 * ```
 *
 * @returns `restore`: unregisters the kernel this call registered, if it is still the one registered.
 *   Idempotent. If a `Conv2DBackpropFilter` kernel that is not ours was already registered, nothing was
 *   registered and `restore` does nothing.
 * @throws {KernelNotRegisteredError} if the wasm backend's own `Conv2D` kernel is not registered (the
 *   wasm backend was not imported); nothing is changed then.
 * @see useFastWasmMatMul
 */
export function useWasmConvGradients(): () => void {
  if (tf.getKernel(tf.Conv2D, BACKEND) === undefined) {
    throw new KernelNotRegisteredError(
      'useWasmConvGradients',
      tf.Conv2D,
      BACKEND,
      "import '@tensorflow/tfjs-backend-wasm' before registering the wasm conv gradients",
    );
  }
  const existing = tf.getKernel(tf.Conv2DBackpropFilter, BACKEND);
  if (existing !== undefined) return installed?.config === existing ? installed.restore : () => {};

  const config: tf.KernelConfig = {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: BACKEND,
    kernelFunc: conv2DBackpropFilterWasm,
  };
  const restore = (): void => {
    if (installed?.config === config) installed = undefined;
    // Only take back what is still ours: a kernel someone registered after us is theirs now.
    if (tf.getKernel(config.kernelName, config.backendName) === config) {
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
  };
  tf.registerKernel(config);
  installed = { config, restore };
  return restore;
}
