import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2DGeometry, im2colSizes } from './conv2DGeometry.js';
import { matMulOnWasm } from './matMulOnWasm.js';

/**
 * Makes a `Conv2DBackpropFilter` kernelFunc for the wasm backend that computes the filter gradient as
 * one XNNPACK matrix product: `dW = patchesᵀ · dy`.
 *
 * With M = batch·outHeight·outWidth output pixels and K = filterHeight·filterWidth·inChannels filter
 * taps, `patchesᵀ` is the `[K, M]` matrix whose row (kh, kw, ci) holds the input value each output
 * pixel sees through tap (kh, kw) on channel ci (zero in the padding), written straight into the wasm
 * heap in that transposed order so that the product needs no transpose flag; `dy` is read in place as
 * `[M, outChannels]`; the product `[K, outChannels]` is the filter gradient `[fH, fW, inC, outC]`.
 *
 * Results differ from tfjs-backend-cpu's (a float64 sum of each element's M products, rounded once) by
 * the float32 rounding of XNNPACK's blocked sums: see the tolerance in
 * test/wasm-only/fastWasmKernels.test.ts. NCHW, dtypes other than float32, and patch matrices above
 * `MAX_PATCH_VALUES` (conv2DGeometry.ts) go to `original` (gradstream's exact TypeScript kernel).
 *
 * Owns nothing it is given; the patch matrix is freed before returning, also on error; returns a new
 * float32 wasm tensor of the filter's shape, owned by the engine.
 *
 * @param original the kernelFunc for what this one does not handle
 */
export function conv2DBackpropFilterMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const info = conv2DGeometry(x.shape as [number, number, number, number], attrs.filterShape, attrs);
    const sizes = im2colSizes(info, x, dy);
    if (sizes === undefined) return original(args);
    const { m, k } = sizes;
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const wasm = args.backend as BackendWasm;
    const top = info.padInfo.top;
    const left = info.padInfo.left;

    const patchesT = wasm.makeOutput([k, m], 'float32');
    try {
      // Views after makeOutput: its malloc may grow the heap, which detaches earlier views.
      const xs = wasm.typedArrayFromHeap(x);
      const cols = wasm.typedArrayFromHeap(patchesT);
      const rowStride = inWidth * inChannels;
      const batchStride = inHeight * rowStride;
      for (let kh = 0, row = 0; kh < filterHeight; ++kh) {
        for (let kw = 0; kw < filterWidth; ++kw) {
          for (let ci = 0; ci < inChannels; ++ci, ++row) {
            let j = row * m;
            for (let b = 0; b < batchSize; ++b) {
              for (let oh = 0; oh < outHeight; ++oh) {
                const ih = oh * strideHeight + kh - top;
                if (ih < 0 || ih >= inHeight) {
                  cols.fill(0, j, j + outWidth);
                  j += outWidth;
                  continue;
                }
                const base = b * batchStride + ih * rowStride + ci;
                for (let ow = 0; ow < outWidth; ++ow, ++j) {
                  const iw = ow * strideWidth + kw - left;
                  cols[j] = iw >= 0 && iw < inWidth ? (xs[base + iw * inChannels] as number) : 0;
                }
              }
            }
          }
        }
      }
      const dyMatrix: tf.TensorInfo = { dataId: dy.dataId, shape: [m, outChannels], dtype: 'float32' };
      const dW = matMulOnWasm(patchesT, dyMatrix, wasm);
      return { dataId: dW.dataId, shape: [...attrs.filterShape], dtype: 'float32' };
    } finally {
      wasm.disposeData(patchesT.dataId);
    }
  };
}
