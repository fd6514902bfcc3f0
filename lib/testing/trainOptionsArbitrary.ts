import * as fc from 'fast-check';
import type { NonFinitePolicy } from '../accumulate/accumulate.js';
import { ConfigError } from '../errors/ConfigError.js';
import type { OptimizerName } from '../optim/optimizerFromName.js';

/** The plain values of `train`'s options, from {@link trainOptionsArbitrary}. */
export interface TrainOptionValues {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly accumulationSteps: number;
  readonly microBatchSize: number | undefined;
  readonly partialWindow: 'apply' | 'drop';
  readonly nonFinite: NonFinitePolicy;
}

/** Options of {@link trainOptionsArbitrary}. */
export interface TrainOptionsArbitraryOptions {
  /** Optimizers to draw from, default all of `sgd`, `momentum`, `adam`, `adamw`, `rmsprop`, `adagrad`. */
  readonly optimizers?: ReadonlyArray<OptimizerName>;
  /** Most micro-batches per update, default 8. */
  readonly maxAccumulationSteps?: number;
  /** Most examples per micro-batch when `microBatchSize` is drawn, default 8. */
  readonly maxMicroBatchSize?: number;
}

const ALL: ReadonlyArray<OptimizerName> = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'adagrad'];

/**
 * A fast-check arbitrary of valid `train` configurations, as plain values: optimizer and learning
 * rate, accumulation steps, micro-batch size (or none), partial-window and non-finite policies. Turn one
 * into options with {@link trainOptionsFromValues}.
 *
 * ## Example
 * ```ts
 * await fc.assert(fc.asyncProperty(trainOptionsArbitrary({ optimizers: ['sgd', 'adam'] }), async (values) => {
 *   const steps = await lastValueFrom(batches$().pipe(train(trainOptionsFromValues(values, model, loss)), toArray()));
 *   expect(steps.every((s) => s.microBatches <= values.accumulationSteps)).toBe(true);
 * }));
 * ```
 *
 * @param options which optimizers and how large the counts may be
 * @returns an arbitrary of option values
 * @throws {ConfigError} when an option is invalid
 */
export function trainOptionsArbitrary(options: TrainOptionsArbitraryOptions = {}): fc.Arbitrary<TrainOptionValues> {
  const { optimizers = ALL, maxAccumulationSteps = 8, maxMicroBatchSize = 8 } = options;
  if (!Array.isArray(optimizers) || optimizers.length === 0 || optimizers.some((o) => !ALL.includes(o)))
    throw new ConfigError('trainOptionsArbitrary', 'optimizers', optimizers, `a non-empty array of ${ALL.join(', ')}`);
  if (!Number.isInteger(maxAccumulationSteps) || maxAccumulationSteps < 1)
    throw new ConfigError('trainOptionsArbitrary', 'maxAccumulationSteps', maxAccumulationSteps, 'an integer >= 1');
  if (!Number.isInteger(maxMicroBatchSize) || maxMicroBatchSize < 1)
    throw new ConfigError('trainOptionsArbitrary', 'maxMicroBatchSize', maxMicroBatchSize, 'an integer >= 1');
  return fc.record({
    optimizer: fc.constantFrom(...optimizers),
    learningRate: fc.constantFrom(1e-3, 1e-2, 0.1, 0.5),
    accumulationSteps: fc.integer({ min: 1, max: maxAccumulationSteps }),
    microBatchSize: fc.option(fc.integer({ min: 1, max: maxMicroBatchSize }), { nil: undefined }),
    partialWindow: fc.constantFrom('apply' as const, 'drop' as const),
    nonFinite: fc.constantFrom('error' as const, 'skip-micro-batch' as const, 'skip-update' as const),
  });
}
