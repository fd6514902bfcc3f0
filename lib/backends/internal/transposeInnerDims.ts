import * as tf from '@tensorflow/tfjs';

/**
 * Swaps the last two dimensions of `x` with a backend's own Transpose kernel, inside another kernel.
 *
 * Any leading (batch) dimensions are folded into one for the call, so that a rank-5 input needs only a
 * rank-3 transpose, and restored on the result: `[...outer, rows, cols]` becomes `[...outer, cols, rows]`.
 *
 * Ownership: `x` stays the caller's. The result is a fresh buffer owned by the caller, who must free it
 * with `backend.disposeData(result.dataId)` (it is not a `tf.Tensor`, so the engine will not).
 *
 * @param x a tensor of rank ≥ 2, read only
 * @param backend the backend that runs the kernel (the one passed to the calling kernelFunc)
 * @param transpose the backend's Transpose kernelFunc
 * @returns the transposed tensor info, owned by the caller
 */
export function transposeInnerDims(x: tf.TensorInfo, backend: object, transpose: tf.KernelFunc): tf.TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2] ?? 1;
  const cols = x.shape[rank - 1] ?? 1;
  const outer = x.shape.slice(0, -2);
  const view: tf.TensorInfo = { dataId: x.dataId, shape: [tf.util.sizeFromShape(outer), rows, cols], dtype: x.dtype };
  const out = transpose({ inputs: { x: view }, backend, attrs: { perm: [0, 2, 1] } });
  if (Array.isArray(out)) throw new Error('transposeInnerDims: the Transpose kernel returned several outputs');
  return { dataId: out.dataId, shape: [...outer, cols, rows], dtype: out.dtype };
}
