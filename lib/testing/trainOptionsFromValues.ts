import type { Loss, Model } from '../models/types.js';
import { optimizerFromName, type OptimizerState } from '../optim/optimizerFromName.js';
import type { TrainOptions } from '../train/validateTrainOptions.js';
import type { TrainOptionValues } from './trainOptionsArbitrary.js';

/**
 * `train`'s options from a {@link trainOptionsArbitrary} value, for `model` and `loss`.
 *
 * ## Example
 * ```ts
 * const options = trainOptionsFromValues(values, model, losses.meanSquaredError);
 * batches$.pipe(train(options));
 * ```
 *
 * @param values the drawn values
 * @param model the model (kept in the options, not copied)
 * @param loss the loss
 * @returns options for `train`
 */
export function trainOptionsFromValues(values: TrainOptionValues, model: Model, loss: Loss): TrainOptions<OptimizerState> {
  return {
    model,
    loss,
    optimizer: optimizerFromName(values.optimizer, { learningRate: values.learningRate }),
    accumulationSteps: values.accumulationSteps,
    ...(values.microBatchSize === undefined ? {} : { microBatchSize: values.microBatchSize }),
    partialWindow: values.partialWindow,
    nonFinite: values.nonFinite,
  };
}
