import type * as tf from '@tensorflow/tfjs';

/**
 * The parameter name of each trainable weight of a Layers model: its scoped name as the layer gave it
 * (`hidden/kernel`), which is the same in every process and for every copy of the model, unlike the
 * variable's own name, which tfjs makes unique per process (`hidden/kernel_1`). Falls back to the
 * variable's name where two weights of the model would share one.
 */
export function weightNames(layersModel: tf.LayersModel): ReadonlyArray<readonly [string, tf.LayerVariable]> {
  const seen = new Set<string>();
  return layersModel.trainableWeights.map((weight) => {
    const name = seen.has(weight.originalName) ? weight.name : weight.originalName;
    seen.add(name);
    return [name, weight] as const;
  });
}
