import type * as tf from '@tensorflow/tfjs';
import type { BatchCoupledLayer } from '../models/types.js';

/**
 * The tfjs layer classes that mix the examples of a batch in training mode. BatchNormalization normalises
 * by the batch's own mean and variance, so its output for an example depends on every other example of
 * the micro-batch. LayerNormalization normalises each example alone and is not here.
 */
const BATCH_COUPLED = new Set(['BatchNormalization']);

/**
 * Every batch-coupled layer of a Layers model, nested models included, in the model's layer order.
 * Owned by lib/models (fromLayersModel) and lib/testing (checkAccumulationSafety).
 */
export function batchCoupledLayers(model: tf.LayersModel): ReadonlyArray<BatchCoupledLayer> {
  const found: BatchCoupledLayer[] = [];
  const walk = (layers: ReadonlyArray<tf.layers.Layer>): void => {
    for (const layer of layers) {
      if (BATCH_COUPLED.has(layer.getClassName())) found.push({ name: layer.name, className: layer.getClassName() });
      const inner = (layer as { layers?: ReadonlyArray<tf.layers.Layer> }).layers;
      if (Array.isArray(inner)) walk(inner);
    }
  };
  walk(model.layers);
  return found;
}
