import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { poolGeometry } from './poolGeometry.js';

/**
 * A `MaxPoolGrad` kernelFunc for the wasm backend, in TypeScript over views of the wasm heap: each
 * `dy` value is added to the input position that won its window.
 *
 * tfjs-backend-cpu's kernel (the reference) first finds each window's winner (the first strictly
 * greatest value, scanning rows then columns, padding excluded; none when every value is NaN), then
 * gathers for each input position the `dy` of the windows it won, in increasing (output row, output
 * column) order, summed in float64 and rounded to float32 once. Scattering each `dy` to its winner, in
 * the same (row, column) order, into a float64 buffer makes the same additions in the same order, so
 * the results are the cpu backend's bit for bit, at one pass over the windows instead of one search of
 * every window per input position (and straight into the output where windows do not overlap). NHWC (the only layout of tfjs's pooling), any stride, window and
 * padding.
 *
 * Owns nothing it is given; returns a new float32 wasm tensor of the input's shape, owned by the engine.
 */
export const maxPoolGradWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const wasm = backend as BackendWasm;
  const { batchSize, inHeight, inWidth, channels, outHeight, outWidth, strideHeight, strideWidth, fH, fW, top, left } = poolGeometry(
    input,
    attrs as unknown as tf.MaxPoolGradAttrs,
  );

  // Views after makeOutput: its malloc may grow the heap, which detaches earlier views.
  const out = wasm.makeOutput(input.shape, 'float32');
  const xs = wasm.typedArrayFromHeap(input);
  const dys = wasm.typedArrayFromHeap(dy);
  const result = wasm.typedArrayFromHeap(out);
  // Windows that do not overlap (Keras' default pooling) send at most one dy to each position: summing
  // straight into the float32 output is then the same single rounding, without a float64 buffer.
  const disjoint = strideHeight >= fH && strideWidth >= fW;
  const dx = disjoint ? result.fill(0) : new Float64Array(xs.length);
  const rowStride = inWidth * channels;
  for (let b = 0, yi = 0; b < batchSize; ++b) {
    const xBatch = b * inHeight * rowStride;
    for (let yR = 0; yR < outHeight; ++yR) {
      const r0 = yR * strideHeight - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(inHeight, r0 + fH);
      for (let yC = 0; yC < outWidth; ++yC) {
        const c0 = yC * strideWidth - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(inWidth, c0 + fW);
        for (let d = 0; d < channels; ++d, ++yi) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let r = rMin; r < rMax; ++r) {
            for (let c = cMin, xi = xBatch + r * rowStride + cMin * channels + d; c < cMax; ++c, xi += channels) {
              const v = xs[xi] as number;
              if (v > best) {
                best = v;
                at = xi;
              }
            }
          }
          if (at >= 0) dx[at] = (dx[at] as number) + (dys[yi] as number);
        }
      }
    }
  }

  if (!disjoint) result.set(dx); // the one rounding to float32, as the cpu kernel's dx.set
  return out;
};
