import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2DGeometry, im2colSizes } from './conv2DGeometry.js';
import { matMulOnWasm } from './matMulOnWasm.js';

/**
 * Makes a `Conv2DBackpropInput` kernelFunc for the wasm backend that computes the input gradient as one
 * XNNPACK matrix product and a scatter (col2im): `patchGrads = dy · Wᵀ`, then each patch gradient is
 * added back to the input pixel it came from.
 *
 * With M = batch·outHeight·outWidth output pixels and K = filterHeight·filterWidth·inChannels filter
 * taps: `dy` is read in place as `[M, outChannels]`; the filter `[fH, fW, inC, outC]` is `[K, outC]`,
 * transposed here (it is small) to `[outC, K]` so that the product needs no transpose flag; row
 * (b, oh, ow) of the product `[M, K]` holds, for each tap (kh, kw, ci), what output pixel (oh, ow)
 * sends back to input pixel (oh·sH + kh − top, ow·sW + kw − left) on channel ci. Those are summed per
 * input pixel in float64 and rounded to float32 once.
 *
 * Results differ from tfjs-backend-cpu's (a float64 sum of each element's products, rounded once) by
 * the float32 rounding of XNNPACK's dot products over outChannels: see the tolerance in
 * test/wasm-only/fastWasmKernels.test.ts. NCHW, dtypes other than float32, and patch matrices above
 * `MAX_PATCH_VALUES` (conv2DGeometry.ts) go to `original` (tfjs-backend-wasm's own kernel).
 *
 * Owns nothing it is given; the transposed filter and the patch gradients are freed before returning,
 * also on error; returns a new float32 wasm tensor of shape `inputShape`, owned by the engine.
 *
 * @param original the wasm backend's own kernelFunc, for what this one does not handle
 */
export function conv2DBackpropInputMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = conv2DGeometry(attrs.inputShape, filter.shape as [number, number, number, number], attrs);
    const sizes = im2colSizes(info, dy, filter);
    if (sizes === undefined) return original(args);
    const { m, k } = sizes;
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
    const wasm = args.backend as BackendWasm;
    const top = info.padInfo.top;
    const left = info.padInfo.left;

    const made: tf.TensorInfo[] = [];
    try {
      const filterT = wasm.makeOutput([outChannels, k], 'float32');
      made.push(filterT);
      const w = wasm.typedArrayFromHeap(filter);
      const wT = wasm.typedArrayFromHeap(filterT);
      for (let r = 0; r < k; ++r) {
        for (let c = 0; c < outChannels; ++c) wT[c * k + r] = w[r * outChannels + c] as number;
      }
      const dyMatrix: tf.TensorInfo = { dataId: dy.dataId, shape: [m, outChannels], dtype: 'float32' };
      const patchGrads = matMulOnWasm(dyMatrix, filterT, wasm);
      made.push(patchGrads);

      const cols = wasm.typedArrayFromHeap(patchGrads);
      const dx = new Float64Array(batchSize * inHeight * inWidth * inChannels);
      const rowStride = inWidth * inChannels;
      const batchStride = inHeight * rowStride;
      for (let b = 0, j = 0; b < batchSize; ++b) {
        for (let oh = 0; oh < outHeight; ++oh) {
          for (let ow = 0; ow < outWidth; ++ow) {
            for (let kh = 0; kh < filterHeight; ++kh) {
              const ih = oh * strideHeight + kh - top;
              if (ih < 0 || ih >= inHeight) {
                j += filterWidth * inChannels;
                continue;
              }
              for (let kw = 0; kw < filterWidth; ++kw) {
                const iw = ow * strideWidth + kw - left;
                if (iw < 0 || iw >= inWidth) {
                  j += inChannels;
                  continue;
                }
                const at = b * batchStride + ih * rowStride + iw * inChannels;
                for (let ci = 0; ci < inChannels; ++ci, ++j) dx[at + ci] = (dx[at + ci] as number) + (cols[j] as number);
              }
            }
          }
        }
      }
      const out = wasm.makeOutput(info.inShape, 'float32');
      wasm.typedArrayFromHeap(out).set(dx);
      return out;
    } finally {
      for (const t of made) wasm.disposeData(t.dataId);
    }
  };
}
