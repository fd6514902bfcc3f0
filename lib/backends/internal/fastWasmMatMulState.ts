import * as tf from '@tensorflow/tfjs';

/** One enabling of `useFastWasmMatMul`: what it replaced, what it registered, how to undo it. */
export interface FastWasmMatMulInstallation {
  /** The wasm kernel configs that were registered before, in the order of `wrappers`. */
  readonly originals: ReadonlyArray<tf.KernelConfig>;
  /** The configs registered in their place (same names, setup and dispose; wrapped kernelFunc). */
  readonly wrappers: ReadonlyArray<tf.KernelConfig>;
  /** Puts `originals` back; a no-op once done. */
  readonly restore: () => void;
}

/**
 * The module's only mutable state: the installation in force, if any. Kernel registration is global in
 * TensorFlow.js, so this is global too; it lets a second enable return the first's `restore` instead of
 * wrapping a wrapper.
 */
export const fastWasmMatMulState: { installed: FastWasmMatMulInstallation | undefined } = {
  installed: undefined,
};

/** Whether `installation`'s wrappers are the kernels currently registered (nobody replaced them since). */
export function isInForce(installation: FastWasmMatMulInstallation): boolean {
  return installation.wrappers.every((w) => tf.getKernel(w.kernelName, w.backendName) === w);
}
