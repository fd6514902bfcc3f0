import type { Examples } from '../../lib/data/types.js';

/**
 * Synthetic examples whose identity can be read back from any copy: example `i` has every pixel equal
 * to `i` and the label `i % classes`.
 */
export function numberedExamples(count: number, features = 4, classes = 3): Examples {
  const images = new Float32Array(count * features);
  const labels = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    images.fill(i, i * features, (i + 1) * features);
    labels[i * classes + (i % classes)] = 1;
  }
  return { count, features, classes, images, labels };
}

/** The identities (first pixel) of every example in `examples`, in order. */
export function identities(examples: Examples): number[] {
  return Array.from({ length: examples.count }, (_, i) => examples.images[i * examples.features] as number);
}
