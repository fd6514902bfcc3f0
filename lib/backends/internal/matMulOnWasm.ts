import * as tf from '@tensorflow/tfjs';

/**
 * `a · b` for two float32 matrices already on the wasm heap, by the wasm `BatchMatMul` kernel registered
 * now, with no transpose flags (the only way tfjs-backend-wasm reaches XNNPACK's GEMM).
 *
 * Looked up at each call, so that whichever `BatchMatMul` is in force (tfjs's own, or the wrapper of
 * `useFastWasmMatMul`, which passes flag-free products through) does the work.
 *
 * Ownership: `a` and `b` stay the caller's; the result is a fresh buffer owned by the caller, who must
 * free it with `backend.disposeData(result.dataId)` or return it from a kernel.
 *
 * @param a `[m, k]` (its dataId may hold a tensor of any shape of that size)
 * @param b `[k, n]`
 * @returns `[m, n]`
 */
export function matMulOnWasm(a: tf.TensorInfo, b: tf.TensorInfo, backend: object): tf.TensorInfo {
  const config = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (config === undefined) throw new Error("matMulOnWasm: no 'BatchMatMul' kernel is registered for 'wasm'");
  const out = config.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
  if (Array.isArray(out)) throw new Error('matMulOnWasm: the BatchMatMul kernel returned several outputs');
  const [m] = a.shape;
  const n = b.shape[1];
  return { dataId: out.dataId, shape: [m as number, n as number], dtype: out.dtype };
}
