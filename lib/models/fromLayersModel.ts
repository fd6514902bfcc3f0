import * as tf from '@tensorflow/tfjs';
import type { Params } from '../optim/types.js';
import type { Model } from './types.js';
import { weightNames } from './weightNames.js';
import { batchCoupledLayers } from '../internal/batchCoupledLayers.js';
import { ConfigError } from '../errors/ConfigError.js';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';

/** A {@link Model} made from a tfjs Layers model, which it keeps for {@link writeParams}. */
export interface LayersModelAdapter extends Model {
  /** The adapted Layers model. */
  readonly layersModel: tf.LayersModel;
}

type Readable = { read(): tf.Tensor };

/** Options of {@link fromLayersModel}. */
export interface FromLayersModelOptions {
  /**
   * Required, as `'per-micro-batch'`, for a model with a batch-coupled layer (BatchNormalization): it
   * acknowledges that such a layer normalises each micro-batch by that micro-batch's own statistics, so
   * an accumulated update is not the full batch's update.
   */
  readonly batchStatistics?: 'per-micro-batch';
}

/**
 * Adapts a tfjs Layers model (Sequential or functional) into a pure {@link Model}: `apply(params, xs)`
 * runs the layers in training mode with `params` in place of their trainable weights, so gradstream can
 * differentiate with respect to them and every micro-batch of a window sees the same parameters.
 *
 * Parameters are the model's trainable weights, named as their layers scope them (`hidden/kernel`, or
 * `dense_Dense1/kernel` for a layer named by tfjs): the same names in every process, so a saved
 * {@link TrainState} fits a fresh copy of the model.
 * Non-trainable weights are not parameters: BatchNormalization's moving mean and variance are updated by
 * the layer itself, from each micro-batch, as it runs in training mode, and its normalisation in training
 * uses each micro-batch's own statistics (so a BatchNormalization model is not exactly its full-batch
 * twin, as in every accumulation library). Dropout draws a fresh mask per micro-batch.
 *
 * A model with a batch-coupled layer (BatchNormalization, found in nested models too) is refused with a
 * {@link ConfigError} naming the layer, unless `options.batchStatistics` is `'per-micro-batch'`: such a
 * model trains, but not on the full batch's gradient, and nothing else would tell. `checkAccumulationSafety`
 * (from `gradstream/testing`) measures how far apart the two are.
 *
 * Layer regularizers (`kernelRegularizer` and the like) are applied by `model.fit`, not by the layers, so a
 * model that has one is refused with a {@link ConfigError}: use weight decay in the optimizer instead.
 * `params` are the Layers model's live variables: a {@link writeParams} moves where the next run starts.
 *
 * Write trained parameters back with {@link writeParams}, so that `predict` and `save` use them.
 *
 * ## Example
 * ```ts
 * const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
 * const model = fromLayersModel(layers);
 * console.log(Object.keys(model.params)); // e.g. ['dense_Dense1/kernel', 'dense_Dense1/bias']
 * ```
 *
 * @param layersModel a built tfjs Layers model (its weights are not copied: `params` are its variables,
 *   owned by the Layers model)
 * @param options `batchStatistics: 'per-micro-batch'` to accept a BatchNormalization model
 * @returns the pure model
 * @throws {ConfigError} when a layer has a regularizer, or the model has a batch-coupled layer and
 *   `batchStatistics` is not `'per-micro-batch'`
 * @see writeParams
 */
export function fromLayersModel(layersModel: tf.LayersModel, options: FromLayersModelOptions = {}): LayersModelAdapter {
  rejectRegularizers(layersModel);
  rejectBatchCoupling(layersModel, options);
  const weights = weightNames(layersModel);
  const params: Record<string, tf.Tensor> = {};
  for (const [name, weight] of weights) params[name] = weight.read();
  return {
    layersModel,
    params,
    apply: (current: Params, xs: tf.Tensor): tf.Tensor => {
      // Check every name before touching any weight, so a bad map leaves the model as it was.
      const missing = weights.find(([name]) => current[name] === undefined);
      if (missing) throw new ParamMismatchError('fromLayersModel.apply', missing[0], 'no value given for this weight', Object.keys(current));
      // Each weight reads the given tensor for the length of this call, then whatever it read before
      // (its variable, or an enclosing call's tensor when calls nest).
      const previous = weights.map(([, weight]) => Object.getOwnPropertyDescriptor(weight, 'read'));
      for (const [name, weight] of weights) {
        const value = current[name] as tf.Tensor;
        Object.defineProperty(weight, 'read', { value: () => value, configurable: true, writable: true });
      }
      try {
        return layersModel.apply(xs, { training: true }) as tf.Tensor;
      } finally {
        weights.forEach(([, weight], i) => {
          const before = previous[i];
          if (before) Object.defineProperty(weight, 'read', before);
          else delete (weight as Partial<Readable>).read;
        });
      }
    },
  };
}

/**
 * Layer regularizers add their penalty inside `model.fit`, which gradstream does not call: rather than
 * train without them silently, refuse the model and point to the optimizer's weight decay.
 */
function rejectRegularizers(layersModel: tf.LayersModel): void {
  for (const layer of layersModel.layers) {
    const config = layer.getConfig() as Record<string, unknown>;
    for (const [key, value] of Object.entries(config)) {
      if (key.endsWith('Regularizer') && value !== null && value !== undefined)
        throw new ConfigError(
          'fromLayersModel',
          `layer '${layer.name}' ${key}`,
          value,
          "absent (gradstream computes the loss itself: use addDecayedWeights or adamw's weightDecay in the optimizer, or add the penalty to the loss)",
        );
    }
  }
}

/**
 * A batch-coupled layer makes accumulation inexact without any error: refuse it unless the caller says
 * they accept per-micro-batch statistics. An option, not a warning, because a warning in a library is a
 * side effect (a console) that a training script's output buries, and gradstream never falls back silently.
 */
function rejectBatchCoupling(layersModel: tf.LayersModel, options: FromLayersModelOptions): void {
  const acknowledged = (options as { batchStatistics?: unknown }).batchStatistics;
  if (acknowledged !== undefined && acknowledged !== 'per-micro-batch')
    throw new ConfigError('fromLayersModel', 'batchStatistics', acknowledged, "'per-micro-batch' or absent");
  const [first] = batchCoupledLayers(layersModel);
  if (first && acknowledged === undefined)
    throw new ConfigError(
      'fromLayersModel',
      'batchStatistics',
      undefined,
      `'per-micro-batch' for a model with layer '${first.name}' (${first.className}), which normalises each micro-batch by its own statistics, so an accumulated update differs from the full batch's (or remove the layer)`,
    );
}
