import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { poolGeometry } from './poolGeometry.js';

/**
 * An `AvgPoolGrad` kernelFunc for the wasm backend, in TypeScript over views of the wasm heap: each
 * `dy` value is added to every input position of its window, and the sums are divided by the window's
 * area at the end.
 *
 * tfjs-backend-cpu's kernel (the reference) gathers, for each input position, the `dy` of the windows
 * that cover it in increasing (output row, output column) order, sums them in float64, multiplies by
 * `1 / (filterHeight · filterWidth)` (padding counts in the area) and rounds to float32 once. Scattering
 * in the same (row, column) order into a float64 buffer makes the same additions in the same order, so
 * the results are the cpu backend's bit for bit. NHWC, any stride, window and padding.
 *
 * Owns nothing it is given; returns a new float32 wasm tensor of the input's shape, owned by the engine.
 */
export const avgPoolGradWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const wasm = backend as BackendWasm;
  const geometry = poolGeometry(input, attrs as unknown as tf.AvgPoolGradAttrs);
  const { batchSize, inHeight, inWidth, channels, outHeight, outWidth, strideHeight, strideWidth, fH, fW, top, left } = geometry;

  // Views after makeOutput: its malloc may grow the heap, which detaches earlier views.
  const out = wasm.makeOutput(input.shape, 'float32');
  const dys = wasm.typedArrayFromHeap(dy);
  const result = wasm.typedArrayFromHeap(out);
  const scale = 1 / (geometry.filterHeight * geometry.filterWidth);
  if (strideHeight >= fH && strideWidth >= fW) {
    // Windows that do not overlap send at most one dy to each position: (0 + dy)·scale, rounded once,
    // straight into the float32 output, as the cpu kernel computes it, without a float64 buffer.
    result.fill(0);
    scatter(dys, result as Float32Array, scale);
    return out;
  }
  const dx = new Float64Array(result.length);
  scatter(dys, dx, 1);
  for (let i = 0; i < dx.length; ++i) dx[i] = (dx[i] as number) * scale;
  result.set(dx); // the one rounding to float32, as the cpu kernel's dx.set
  return out;

  /** Adds each dy, times `factor`, to every position of its window in `dx`, in (row, column) order. */
  function scatter(dys: tf.TypedArray, dx: Float32Array | Float64Array, factor: number): void {
    const rowStride = inWidth * channels;
    for (let b = 0, yi = 0; b < batchSize; ++b) {
      const xBatch = b * inHeight * rowStride;
      for (let yR = 0; yR < outHeight; ++yR) {
        const r0 = yR * strideHeight - top;
        const rMin = Math.max(0, r0);
        const rMax = Math.min(inHeight, r0 + fH);
        for (let yC = 0; yC < outWidth; ++yC, yi += channels) {
          const c0 = yC * strideWidth - left;
          const cMin = Math.max(0, c0);
          const cMax = Math.min(inWidth, c0 + fW);
          for (let r = rMin; r < rMax; ++r) {
            for (let c = cMin; c < cMax; ++c) {
              const xi = xBatch + r * rowStride + c * channels;
              for (let d = 0; d < channels; ++d) dx[xi + d] = (dx[xi + d] as number) + (dys[yi + d] as number) * factor;
            }
          }
        }
      }
    }
  }
};
