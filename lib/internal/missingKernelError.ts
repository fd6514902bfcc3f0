import { KernelNotRegisteredError } from '../errors/KernelNotRegisteredError.js';

const MISSING = /^Kernel '([^']+)' not registered for backend '([^']+)'/;

/** How to get a missing kernel: gradstream's own where it ships one, the backend's package otherwise. */
const hintFor = (kernel: string, backend: string): string =>
  backend === 'wasm' && kernel.startsWith('Conv2D')
    ? "tfjs-backend-wasm has no such kernel and gradstream registers its own only when asked: `import { useWasmConvGradients } from 'gradstream/wasm'` and call useWasmConvGradients() (or useFastWasmKernels(), which includes it) after selecting the wasm backend, or train this model on cpu or webgl"
    : `the model's gradient needs it and the '${backend}' backend does not have it: import the backend's package, register the kernel (tf.registerKernel), or train on another backend (tf.setBackend('cpu'))`;

/**
 * tfjs's "Kernel 'X' not registered for backend 'Y'" as a {@link KernelNotRegisteredError} that says how
 * to get the kernel, or `undefined` for any other error.
 */
export function missingKernelError(fn: string, error: unknown): KernelNotRegisteredError | undefined {
  const match = error instanceof Error ? MISSING.exec(error.message) : null;
  if (match === null) return undefined;
  const [, kernel, backend] = match as unknown as [string, string, string];
  return new KernelNotRegisteredError(fn, kernel, backend, hintFor(kernel, backend));
}
