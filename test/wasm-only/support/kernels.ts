import * as tf from '@tensorflow/tfjs';

/**
 * Runs `f` while the wasm backend's `kernelName` is unregistered, as in a program that never imported
 * it, and registers the very same config again afterwards, whatever `f` does.
 */
export function whileUnregistered<T>(kernelName: string, f: () => T): T {
  const config = tf.getKernel(kernelName, 'wasm');
  if (config === undefined) throw new Error(`no wasm kernel '${kernelName}' to take away`);
  tf.unregisterKernel(kernelName, 'wasm');
  try {
    return f();
  } finally {
    tf.registerKernel(config);
  }
}

/** What `f` throws, or `undefined` if it returns. */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
