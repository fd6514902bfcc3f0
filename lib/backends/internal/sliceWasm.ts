import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Copies shorter than this go element by element: a `subarray` + `set` pair costs more than a few loads. */
const SHORT_RUN = 16;

/**
 * Makes a `Slice` kernelFunc for the wasm backend that copies only the slice, reading the input through
 * a typed-array view of the wasm heap.
 *
 * tfjs-backend-wasm 4.22's own kernel starts with `backend.readSync(x.dataId)`, which copies the whole
 * input out of the heap before taking the slice: 32 rows of a 4096×784 tensor cost a 12.8 MB copy. Here
 * the output is allocated first (its `malloc` may grow the heap, which detaches earlier views), then
 * both views are made, and the slice is copied as runs of its innermost contiguous extent. The values
 * are copied, never computed, so the result equals the stock and the cpu kernels' bit for bit.
 *
 * Dtypes other than float32, int32 and bool (string) go to `original` unchanged.
 *
 * Owns nothing it is given; returns a new wasm tensor of the slice's shape, owned by the engine.
 *
 * @param original the wasm backend's own Slice kernelFunc, for the dtypes this one does not handle
 */
export function sliceWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return original(args);
    const wasm = args.backend as BackendWasm;

    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    // Reads go straight to the heap, where an index out of bounds would read another tensor's memory
    // (parseSliceParams has refused negative begins).
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin_, size_);
    const out = wasm.makeOutput(size_, x.dtype);
    if (tf.util.sizeFromShape(size_) === 0) return out;

    const src = wasm.typedArrayFromHeap(x);
    const dst = wasm.typedArrayFromHeap(out);
    copySlice(src, x.shape, begin_, size_, dst);
    return out;
  };
}

/**
 * Copies the box `begin .. begin + size` of a row-major array of shape `shape` into `dst`, row-major.
 *
 * Trailing dimensions taken whole merge with the last partial one into a single contiguous run, so a
 * slice of whole rows is one `set`; the dimensions before the run are walked with an odometer.
 */
export function copySlice(
  src: tf.TypedArray,
  shape: ReadonlyArray<number>,
  begin: ReadonlyArray<number>,
  size: ReadonlyArray<number>,
  dst: tf.TypedArray,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0] as number;
    return;
  }
  const strides = [...tf.util.computeStrides([...shape]), 1];
  // The run: the innermost dimensions taken whole, plus the first dimension (from inside) that is not.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === shape[inner]) --inner;
  const run = (size[inner] as number) * (strides[inner] as number);
  const outer = inner; // dimensions 0 .. outer-1 are walked one index at a time

  let srcAt = 0;
  for (let d = 0; d < rank; ++d) srcAt += (begin[d] as number) * (strides[d] as number);
  const count = tf.util.sizeFromShape(size.slice(0, outer) as number[]);
  const index = new Array<number>(outer).fill(0);

  for (let n = 0, dstAt = 0; n < count; ++n, dstAt += run) {
    if (run < SHORT_RUN) {
      for (let i = 0; i < run; ++i) dst[dstAt + i] = src[srcAt + i] as number;
    } else {
      dst.set(src.subarray(srcAt, srcAt + run), dstAt);
    }
    // Odometer over the outer dimensions, innermost first.
    for (let d = outer - 1; d >= 0; --d) {
      srcAt += strides[d] as number;
      if (++index[d]! < (size[d] as number)) break;
      index[d] = 0;
      srcAt -= (size[d] as number) * (strides[d] as number);
    }
  }
}
