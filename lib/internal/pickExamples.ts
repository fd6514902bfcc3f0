import type { Examples } from '../data/types.js';

/** The examples at `indices`, in that order, copied into fresh arrays. */
export function pick(examples: Examples, indices: ArrayLike<number>): Examples {
  const { features, classes } = examples;
  const count = indices.length;
  const images = new Float32Array(count * features);
  const labels = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    const from = indices[i] as number;
    images.set(examples.images.subarray(from * features, (from + 1) * features), i * features);
    labels.set(examples.labels.subarray(from * classes, (from + 1) * classes), i * classes);
  }
  return { count, features, classes, images, labels };
}
