// The built-in losses, re-exported by name as the `losses` namespace of lib/index.ts.
export { softmaxCrossEntropy } from './softmaxCrossEntropy.js';
export { sigmoidCrossEntropy } from './sigmoidCrossEntropy.js';
export { meanSquaredError } from './meanSquaredError.js';
export { categoricalCrossentropy } from './categoricalCrossentropy.js';
export { sparseCategoricalCrossentropy } from './sparseCategoricalCrossentropy.js';
export { binaryCrossentropy } from './binaryCrossentropy.js';
