import * as tf from '@tensorflow/tfjs';

/**
 * A tree with every tensor replaced by its shape, dtype and raw bits (float32 as uint32, so NaN payloads
 * and -0 compare exactly): two trees are bit-identical when these are equal.
 */
export function bitsOf(value: unknown): unknown {
  if (value instanceof tf.Tensor) {
    const data = value.dataSync();
    const bits = data instanceof Float32Array ? new Uint32Array(data.buffer, data.byteOffset, data.length) : data;
    return { shape: value.shape, dtype: value.dtype, bits: Array.from(bits as ArrayLike<number>) };
  }
  if (Array.isArray(value)) return value.map(bitsOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bitsOf(v)]));
  return value;
}
