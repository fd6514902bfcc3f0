import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fastWasmMatMulEnabled } from '../fastWasmMatMulEnabled.js';

/**
 * Makes an `Identity` kernelFunc for the wasm backend that shares its input's memory instead of copying
 * it, as the cpu and webgl backends' own `Identity` do: one more reference to the same data, counted by
 * the backend (tfjs-backend-wasm's `Reshape` works the same way), freed when the last tensor that uses
 * it is disposed.
 *
 * Why: `tf.clone` runs this kernel, and so does tfjs's gradient tape for every tensor it saves for the
 * backward pass. tfjs-backend-wasm 4.22's kernel copies, so a dense layer's training step copies its
 * whole weight matrix once per micro-batch (the MLP 784-256-10: 16 copies per micro-batch, one of them
 * 800 KB). Tensors never change once made, so sharing is safe wherever nothing keeps state by buffer.
 * One thing in tfjs-backend-wasm does: its matmul caches XNNPACK operators by the right-hand operand's
 * buffer, not its shape, so a clone reshaped and used as weights would get the operator of the source's
 * shape (as a reshape of the source already does with the stock kernels). useFastWasmMatMul's products
 * give such a product a fresh copy; so these kernels share only while they are in force, and copy (by
 * `original`) otherwise, as after a `restore` of useFastWasmMatMul that left useFastWasmKernels' kernels.
 *
 * Tensors other than float32, int32 and bool (strings) go to `original` unchanged. Owns nothing it is given.
 *
 * @param original the wasm backend's own Identity kernelFunc, for the dtypes this one does not handle
 */
export function identityWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    return numeric(x.dtype) && fastWasmMatMulEnabled() ? share(args.backend as BackendWasm, x, x.dtype) : original(args);
  };
}

/**
 * Makes a `Cast` kernelFunc for the wasm backend that shares the input's memory when the dtype does not
 * change (`cast(x, x.dtype)`, which tfjs's log-softmax and ReLU's gradient both make), as {@link identityWasm}
 * does; a cast to another dtype goes to `original` (the heap layouts differ).
 *
 * @param original the wasm backend's own Cast kernelFunc
 */
export function castWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    return dtype === x.dtype && numeric(x.dtype) && fastWasmMatMulEnabled() ? share(args.backend as BackendWasm, x, dtype) : original(args);
  };
}

const numeric = (dtype: tf.DataType): boolean => dtype === 'float32' || dtype === 'int32' || dtype === 'bool';

function share(backend: BackendWasm, x: tf.TensorInfo, dtype: tf.DataType): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}
