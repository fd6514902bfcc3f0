import type { Examples } from '../../lib/data/types.js';

/** The first `count` examples (of an already shuffled set), as views: no copy. */
export function pickFirst(examples: Examples, count: number): Examples {
  if (count > examples.count) throw new Error(`pickFirst: ${count} examples asked, ${examples.count} available`);
  return {
    count,
    features: examples.features,
    classes: examples.classes,
    images: examples.images.subarray(0, count * examples.features),
    labels: examples.labels.subarray(0, count * examples.classes),
  };
}
