import * as tf from '@tensorflow/tfjs';
import type { Params } from '../optim/types.js';
import type { Model } from './types.js';
import { weightNames } from './weightNames.js';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';

/** A {@link Model} made from a tfjs Layers model, which it keeps for {@link writeParams}. */
export interface LayersModelAdapter extends Model {
  /** The adapted Layers model. */
  readonly layersModel: tf.LayersModel;
}

type Readable = { read(): tf.Tensor };

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
 * @returns the pure model
 * @see writeParams
 */
export function fromLayersModel(layersModel: tf.LayersModel): LayersModelAdapter {
  const weights = weightNames(layersModel);
  const params: Record<string, tf.Tensor> = {};
  for (const [name, weight] of weights) params[name] = weight.read();
  return {
    layersModel,
    params,
    apply: (current: Params, xs: tf.Tensor): tf.Tensor => {
      // Each weight reads the given tensor for the length of this call, then its own variable again.
      for (const [name, weight] of weights) {
        const value = current[name];
        if (value === undefined) throw new ParamMismatchError('fromLayersModel.apply', name, 'no value given for this weight', Object.keys(current));
        Object.defineProperty(weight, 'read', { value: () => value, configurable: true, writable: true });
      }
      try {
        return layersModel.apply(xs, { training: true }) as tf.Tensor;
      } finally {
        for (const [, weight] of weights) delete (weight as Partial<Readable>).read;
      }
    },
  };
}
