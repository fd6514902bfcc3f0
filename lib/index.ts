// gradstream's public surface: named re-exports only.

export type { Params } from './params/types.js';
export type { Schedule, LearningRate, GradientTransformation, TransformSpec } from './optim/types.js';

// Optimizers: pure transforms, chain, schedules.
export type { CountState } from './optim/types.js';
export { applyUpdates } from './optim/applyUpdates.js';
export { sgd, type SgdOptions, type SgdState } from './optim/sgd.js';
export { adam, type AdamOptions, type AdamState } from './optim/adam.js';
export { adamw, type AdamwOptions } from './optim/adamw.js';
export { rmsprop, type RmspropOptions, type RmspropState } from './optim/rmsprop.js';
export { adagrad, type AdagradOptions, type AdagradState } from './optim/adagrad.js';
export { clipByGlobalNorm } from './optim/clipByGlobalNorm.js';
export { clipByValue } from './optim/clipByValue.js';
export { addDecayedWeights } from './optim/addDecayedWeights.js';
export { scale } from './optim/scale.js';
export { scaleByLearningRate } from './optim/scaleByLearningRate.js';
export { chain, type ChainState } from './optim/chain.js';
export { optimizerFromName, optimizerNames, type OptimizerName, type OptimizerState } from './optim/optimizerFromName.js';
export { constant } from './optim/schedules/constant.js';
export { linearWarmup, type LinearWarmupOptions } from './optim/schedules/linearWarmup.js';
export { cosineDecay, type CosineDecayOptions } from './optim/schedules/cosineDecay.js';
export { exponentialDecay, type ExponentialDecayOptions } from './optim/schedules/exponentialDecay.js';
export { warmupCosineDecay, type WarmupCosineDecayOptions } from './optim/schedules/warmupCosineDecay.js';
export { piecewiseConstant, type PiecewiseConstantOptions } from './optim/schedules/piecewiseConstant.js';

export { GradstreamError } from './errors/GradstreamError.js';
export { ConfigError } from './errors/ConfigError.js';
export { ParamMismatchError } from './errors/ParamMismatchError.js';
export { BatchError } from './errors/BatchError.js';
export { ShapeMismatchError } from './errors/ShapeMismatchError.js';
export { MissingGradientError } from './errors/MissingGradientError.js';
export { NonFiniteGradientError } from './errors/NonFiniteGradientError.js';
export { KernelNotRegisteredError } from './errors/KernelNotRegisteredError.js';
export { CheckpointError } from './errors/CheckpointError.js';
export { CheckpointMismatchError, type FingerprintDifference } from './errors/CheckpointMismatchError.js';

// Data: labelled examples in typed arrays, a seeded shuffling source of batches, a train/test split.
export type { Examples, TrainTestSplit } from './data/types.js';
export { shuffledBatches, type ShuffledBatchesOptions } from './data/shuffledBatches.js';
export { trainTestSplit, type SplitOptions } from './data/trainTestSplit.js';

// The stream, in data-flow order: batches, gradient samples, the running sum, the closed loop.
export type { Batch } from './batch/types.js';
export { microBatches } from './batch/microBatches.js';
export { skipExamples } from './batch/skipExamples.js';
export type { Model, ApplyOptions, Loss } from './models/types.js';
export { fromLayersModel, type LayersModelAdapter, type FromLayersModelOptions } from './models/fromLayersModel.js';
export { writeParams } from './models/writeParams.js';
/**
 * The built-in losses, each a {@link Loss} that returns one value per example: on logits
 * `losses.softmaxCrossEntropy` and `losses.sigmoidCrossEntropy`; on probabilities, as Keras and tfjs models
 * ending in `softmax` / `sigmoid` are compiled, `losses.categoricalCrossentropy`,
 * `losses.sparseCategoricalCrossentropy` and `losses.binaryCrossentropy`; and `losses.meanSquaredError`.
 * Pass one as the `loss` option of {@link train}, or find one by its Keras name with {@link lossFromName}.
 */
export * as losses from './models/losses/index.js';
export { lossFromName, type KerasLossName } from './models/lossFromName.js';
export type { GradientSample } from './gradients/types.js';
export { gradientSample } from './gradients/gradientSample.js';
export type { AccumulatedGradients, AppliedWindow, SkippedWindow, WindowState } from './accumulate/types.js';
export { accumulate, type AccumulateOptions, type AccumulationSteps, type NonFinitePolicy } from './accumulate/accumulate.js';
export type { TrainStep, TrainState, TrainStopped } from './train/types.js';
export type { TrainOptions } from './train/validateTrainOptions.js';
export type { GradientPool, GradientPoolRun } from './parallel/types.js';
export { train } from './train/train.js';
export { disposeState } from './train/disposeState.js';
export { metrics } from './monitor/metrics.js';
export { tapMetrics } from './monitor/tapMetrics.js';
export { evaluate, type EvaluateOptions } from './monitor/evaluate.js';

// Checkpoints: a training state saved and loaded, storage behind an interface.
export type { AllowedChange, CheckpointStorage, DataPosition, Fingerprint, Json, LoadedCheckpoint } from './checkpoint/types.js';
export { fingerprintOf, type FingerprintOptions } from './checkpoint/fingerprintOf.js';
export { saveCheckpoint, type SaveCheckpointOptions } from './checkpoint/saveCheckpoint.js';
export { loadCheckpoint, type LoadCheckpointOptions } from './checkpoint/loadCheckpoint.js';
export { memoryStorage } from './checkpoint/memoryStorage.js';
export { checkpoints, type CheckpointsOptions } from './checkpoint/checkpoints.js';
export type { MetricEvent, MetricsOptions, UpdateEvent, EvaluationEvent, Evaluation } from './monitor/types.js';

// model.fit's way: accumulation inside tfjs's own fit and fitDataset, by wrapping a tfjs optimizer.
export { accumulatingOptimizer, type AccumulatingOptimizerOptions } from './fit/accumulatingOptimizer.js';
// lib/fit's public types still live under its internal/ (that folder is restructured on another branch).
// eslint-disable-next-line no-restricted-syntax
export type { AccumulatingOptimizer, AccumulationWindow } from './fit/internal/AccumulatingOptimizer.js';
// eslint-disable-next-line no-restricted-syntax
export type { EpochEnd } from './fit/internal/validateAccumulatingOptions.js';

// Resuming the data: a source that can start at an example skips without making what it skips.
export type { BatchSource } from './batch/types.js';
export { resumeBatches } from './batch/resumeBatches.js';
