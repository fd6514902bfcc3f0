import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2DGeometry } from './conv2DGeometry.js';

type Shape4 = [number, number, number, number];

/**
 * A `Conv2DBackpropFilter` kernelFunc for the wasm backend, in TypeScript: the filter gradient
 * `dW[wR, wC, d1, d2] = Σ_{b, yR, yC} x[b, yR·sH + wR − top, yC·sW + wC − left, d1] · dy[b, yR, yC, d2]`,
 * for NHWC or NCHW, with dilation 1 (the only one tfjs's filter gradient supports).
 *
 * The loop nest is tfjs-backend-cpu's: each element of dW is one float64 dot product over (b, yR, yC)
 * in increasing order, rounded to float32 once, so the results are the cpu backend's bit for bit. It is
 * made fast (figures: docs/performance.md) by three things the cpu kernel does not do:
 * x and dy are first copied into channel planes (NCHW already is), so that the innermost loop over yC
 * reads both with unit stride; the dot product stays in a local, not in a buffer; and two output
 * channels are summed together, so that each x value loaded serves two products (two independent sums,
 * each still in the cpu's order).
 *
 * Owns nothing it is given; returns a new float32 wasm tensor of shape `[fH, fW, inC, outC]`, owned by
 * the engine (as any kernel output).
 */
export const conv2DBackpropFilterWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const conv = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const wasm = backend as BackendWasm;
  const info = conv2DGeometry(x.shape as Shape4, conv.filterShape, conv);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const inPlane = inHeight * inWidth;
  const outPlane = outHeight * outWidth;

  // Views on the wasm heap, read before makeOutput: its malloc may grow the heap, which detaches them.
  const channelsLast = info.dataFormat === 'channelsLast';
  const xs = channelsLast
    ? toPlanes(wasm.typedArrayFromHeap(x), batchSize, inPlane, inChannels)
    : wasm.typedArrayFromHeap(x);
  const ys = channelsLast
    ? toPlanes(wasm.typedArrayFromHeap(dy), batchSize, outPlane, outChannels)
    : wasm.typedArrayFromHeap(dy);
  const dW = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);

  for (let wR = 0; wR < filterHeight; ++wR) {
    // The output rows whose filter row wR lands inside the image: 0 ≤ yR·sH + wR − top < inHeight.
    const yR0 = Math.max(0, Math.ceil((top - wR) / strideHeight));
    const yR1 = Math.min(outHeight, Math.ceil((inHeight + top - wR) / strideHeight));
    for (let wC = 0; wC < filterWidth; ++wC) {
      const yC0 = Math.max(0, Math.ceil((left - wC) / strideWidth));
      const yC1 = Math.min(outWidth, Math.ceil((inWidth + left - wC) / strideWidth));
      // x's offset within a plane for (yR, yC) is xRowOf(yR) + yC·sW.
      const xShift = (wR - top) * inWidth + wC - left;
      for (let d1 = 0; d1 < inChannels; ++d1) {
        const at = ((wR * filterWidth + wC) * inChannels + d1) * outChannels;
        let d2 = 0;
        for (; d2 + 1 < outChannels; d2 += 2) {
          let sum0 = 0;
          let sum1 = 0;
          for (let b = 0; b < batchSize; ++b) {
            const xp = (b * inChannels + d1) * inPlane + xShift;
            const yp = (b * outChannels + d2) * outPlane;
            for (let yR = yR0; yR < yR1; ++yR) {
              let xi = xp + yR * strideHeight * inWidth + yC0 * strideWidth;
              const yEnd = yp + yR * outWidth + yC1;
              for (let yi = yp + yR * outWidth + yC0; yi < yEnd; ++yi, xi += strideWidth) {
                const xv = xs[xi] as number;
                sum0 += xv * (ys[yi] as number);
                sum1 += xv * (ys[yi + outPlane] as number);
              }
            }
          }
          dW[at + d2] = sum0;
          dW[at + d2 + 1] = sum1;
        }
        if (d2 < outChannels) {
          let sum = 0;
          for (let b = 0; b < batchSize; ++b) {
            const xp = (b * inChannels + d1) * inPlane + xShift;
            const yp = (b * outChannels + d2) * outPlane;
            for (let yR = yR0; yR < yR1; ++yR) {
              let xi = xp + yR * strideHeight * inWidth + yC0 * strideWidth;
              const yEnd = yp + yR * outWidth + yC1;
              for (let yi = yp + yR * outWidth + yC0; yi < yEnd; ++yi, xi += strideWidth) {
                sum += (xs[xi] as number) * (ys[yi] as number);
              }
            }
          }
          dW[at + d2] = sum;
        }
      }
    }
  }

  const out = wasm.makeOutput(info.filterShape, 'float32');
  wasm.typedArrayFromHeap(out).set(dW); // the one rounding to float32, as the cpu kernel's dW.set
  return out;
};

/** NHWC (pixels × channels per batch element) to NCHW (a plane of pixels per channel), in a new array. */
function toPlanes(src: tf.TypedArray, batch: number, pixels: number, channels: number): Float32Array {
  const dst = new Float32Array(batch * pixels * channels);
  for (let b = 0, i = 0; b < batch; ++b) {
    const base = b * channels * pixels;
    for (let p = 0; p < pixels; ++p) {
      for (let d = 0; d < channels; ++d, ++i) dst[base + d * pixels + p] = src[i] as number;
    }
  }
  return dst;
}
