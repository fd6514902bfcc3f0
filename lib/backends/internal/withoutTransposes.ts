import * as tf from '@tensorflow/tfjs';
import { transposeInnerDims } from './transposeInnerDims.js';

/**
 * Wraps a matmul kernelFunc (`BatchMatMul` or `_FusedMatMul`, whose inputs are `a`, `b` and optional
 * extras, and whose attrs hold `transposeA` and `transposeB`) so that it never sees a transpose flag:
 * a flagged operand is transposed explicitly first, then the original runs with both flags false.
 *
 * Why: the wasm backend reaches XNNPACK's fast GEMM only when neither flag is set; with a flag it falls
 * back to a naive loop, slower than an explicit transpose plus the fast product (docs/performance.md).
 *
 * The wrapper defers to `original` unchanged (so the original's own result or error comes out) when
 * there is nothing to gain or it cannot be sure of the semantics: no flag set, an operand missing or
 * not float32, a rank below 2, inner dimensions that do not match, or a bias that is not one value per
 * output column (XNNPACK reads exactly that many; the original's flagged path broadcasts a single value
 * or takes one per output element).
 *
 * Ownership: the inputs stay the engine's; the explicit transposes are freed before returning, also
 * when the original throws; the output is the original's, owned by the engine.
 *
 * @param original the backend's kernelFunc to call without transposes
 * @param transpose the same backend's Transpose kernelFunc
 * @returns a kernelFunc with the original's contract
 */
export function withoutTransposes(original: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const transposeA = attrs?.['transposeA'] === true;
    const transposeB = attrs?.['transposeB'] === true;
    if (!(transposeA || transposeB) || a === undefined || b === undefined) return original(args);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
      return original(args);
    }
    const innerA = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
    const innerB = transposeB ? b.shape[b.shape.length - 1] : b.shape[b.shape.length - 2];
    if (innerA !== innerB) return original(args); // let the original word the shape error
    const columns = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const bias = inputs['bias'];
    if (bias !== undefined && bias !== null && tf.util.sizeFromShape(bias.shape) !== columns) return original(args);

    const kernelBackend = backend as tf.KernelBackend;
    const made: tf.TensorInfo[] = [];
    try {
      const a2 = transposeA ? transposeInnerDims(a, backend, transpose) : a;
      if (transposeA) made.push(a2);
      const b2 = transposeB ? transposeInnerDims(b, backend, transpose) : b;
      if (transposeB) made.push(b2);
      return original({
        inputs: { ...inputs, a: a2, b: b2 },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      // The transposes are buffers the engine never saw: nothing else will free them.
      for (const t of made) kernelBackend.disposeData(t.dataId);
    }
  };
}
