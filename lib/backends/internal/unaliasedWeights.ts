import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * For each buffer that has reached XNNPACK as a product's right-hand operand, the `[k, n]` it was first
 * used as. Keyed by the dataId object, which tfjs never reuses: an entry goes with its buffer.
 */
const firstUse = new WeakMap<object, { readonly k: number; readonly n: number }>();

const batchOf = (t: tf.TensorInfo): number => tf.util.sizeFromShape(t.shape.slice(0, -2));

/**
 * Wraps a wasm matmul kernelFunc (`BatchMatMul` or `_FusedMatMul`) so that a buffer used as the
 * right-hand operand in one shape and later in another gets a product of the right shape.
 *
 * Why: tfjs-backend-wasm 4.22 hands a flag-free, unbatched product to XNNPACK as a fully-connected
 * operator made for the right-hand operand and cached by that operand's buffer id (with the bias and the
 * activation), not by its shape. Tensors that share a buffer share the cached operator: the second shape
 * gets the first one's operator, a wrong product and a write past the end of the output. tfjs's own
 * `Reshape` shares buffers; so do useFastWasmKernels' `Identity` and same-dtype `Cast`. Such a product
 * here gets a fresh copy of the operand instead, freed (with its operator) right after. A buffer used in
 * one shape only, which is every weight matrix of a model, passes through untouched.
 *
 * Only products this wrapper has seen are known: a buffer first used through the unwrapped kernel, before
 * the wrapper was registered, is not.
 *
 * @param original the wasm backend's kernelFunc
 * @returns a kernelFunc with the original's contract
 */
export function withUnaliasedWeights(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs;
    const flagged = args.attrs?.['transposeA'] === true || args.attrs?.['transposeB'] === true;
    // Only what reaches XNNPACK's cache: float32, no transpose flag, no batch.
    if (a === undefined || b === undefined || flagged || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return original(args);
    if (batchOf(a) !== 1 || batchOf(b) !== 1) return original(args);
    const [k, n] = b.shape.slice(-2) as [number, number];
    const first = firstUse.get(b.dataId);
    if (first === undefined) firstUse.set(b.dataId, { k, n });
    if (first === undefined || (first.k === k && first.n === n)) return original(args);

    const wasm = args.backend as BackendWasm;
    const copy = wasm.makeOutput([...b.shape], 'float32');
    try {
      // Views after makeOutput: its malloc may grow the heap, which detaches earlier views.
      wasm.typedArrayFromHeap(copy).set(wasm.typedArrayFromHeap(b));
      return original({ ...args, inputs: { ...args.inputs, b: copy } });
    } finally {
      // A buffer the engine never saw; freeing it also deletes the operator made for it.
      wasm.disposeData(copy.dataId);
    }
  };
}
