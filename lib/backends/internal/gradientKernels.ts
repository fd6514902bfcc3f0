import * as tf from '@tensorflow/tfjs';
import { KernelNotRegisteredError } from '../../errors/KernelNotRegisteredError.js';
import { useWasmConvGradients } from '../useWasmConvGradients.js';

/**
 * Registers the gradient kernels gradstream ships for the active backend when that backend lacks them:
 * today, on wasm, `Conv2DBackpropFilter` (tfjs-backend-wasm 4.22 has none, so no Conv2D model could
 * train there), through {@link useWasmConvGradients}. Called by `gradientSample` before it
 * differentiates: one backend-name read and one registry look-up when nothing is missing. A kernel that
 * is already registered (tfjs's own, or one the caller chose) is never replaced.
 */
export function ensureGradientKernels(): void {
  if (tf.getBackend() !== 'wasm') return;
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') !== undefined) return;
  // Only when the wasm backend's own Conv2D exists; otherwise the error names the kernel as tfjs would.
  if (tf.getKernel(tf.Conv2D, 'wasm') !== undefined) useWasmConvGradients();
}

const MISSING = /^Kernel '([^']+)' not registered for backend '([^']+)'/;

/**
 * tfjs's "Kernel 'X' not registered for backend 'Y'" as a {@link KernelNotRegisteredError} naming a fix,
 * or `undefined` for any other error.
 */
export function missingKernelError(fn: string, error: unknown): KernelNotRegisteredError | undefined {
  const match = error instanceof Error ? MISSING.exec(error.message) : null;
  if (match === null) return undefined;
  const [, kernel, backend] = match as unknown as [string, string, string];
  const hint =
    backend === 'wasm' && kernel.startsWith('Conv2D')
      ? 'call useWasmConvGradients() after selecting the wasm backend, or train this model on cpu or webgl'
      : `the model's gradient needs it and the '${backend}' backend does not have it: import the backend's package, register the kernel (tf.registerKernel), or train on another backend (tf.setBackend('cpu'))`;
  return new KernelNotRegisteredError(fn, kernel, backend, hint);
}
