/**
 * Labelled examples held in flat typed arrays, outside TensorFlow.js: no tensor exists until a batch
 * is made from them (see {@link shuffledBatches}).
 *
 * Example `i` is `images[i * features .. (i + 1) * features)` (pixels in [0, 1]) with the one-hot label
 * `labels[i * classes .. (i + 1) * classes)`.
 */
export interface Examples {
  /** How many examples. */
  readonly count: number;
  /** Values per example: 784 for a 28×28 digit. */
  readonly features: number;
  /** Classes per label: 10 for digits. */
  readonly classes: number;
  /** `count × features` values. */
  readonly images: Float32Array;
  /** `count × classes` one-hot values. */
  readonly labels: Float32Array;
}

/** A train set and a disjoint test set. */
export interface TrainTestSplit {
  readonly train: Examples;
  readonly test: Examples;
}
