import * as tf from '@tensorflow/tfjs';
import { fastWasmMatMulEnabled } from '../fastWasmMatMulEnabled.js';

/** One enabling of `useFastWasmKernels`: what it registered, what was there before, how to undo it. */
export interface FastWasmKernelsInstallation {
  /** Our configs, registered in place of `originals` (same order). */
  readonly ours: ReadonlyArray<tf.KernelConfig>;
  /** What was registered before under each name; `undefined` where nothing was. */
  readonly originals: ReadonlyArray<tf.KernelConfig | undefined>;
  readonly restore: () => void;
}

/**
 * The installation in force, if any. Kernel registration is global in TensorFlow.js, so this is global
 * too: it lets a second call return the first's `restore` instead of wrapping our own kernels.
 */
export const fastWasmKernelsState: { installed: FastWasmKernelsInstallation | undefined } = {
  installed: undefined,
};

/** Whether `installation`'s kernels, and the fast matmul under them, are still the ones registered. */
export const isInForce = (installation: FastWasmKernelsInstallation): boolean =>
  installation.ours.every((c) => tf.getKernel(c.kernelName, c.backendName) === c) && fastWasmMatMulEnabled();

/**
 * Whether `useFastWasmKernels`' kernels are in force: workerPool installs them in its workers too, since
 * kernel registrations are per thread and a worker must compute each sample exactly as the main thread
 * would.
 */
export function fastWasmKernelsInForce(): boolean {
  const installed = fastWasmKernelsState.installed;
  return installed !== undefined && isInForce(installed);
}
