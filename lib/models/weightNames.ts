import type * as tf from '@tensorflow/tfjs';
import { leafLayers } from './internal/layerTree.js';

/**
 * The parameter name of each trainable weight of a Layers model, in `trainableWeights` order: a function
 * of the model's structure only, so the same in every process and in every copy of the model.
 *
 * A weight is named as its layer scoped it (`hidden/kernel`) when no other trainable weight of the model
 * has that name; tfjs's own variable names (`hidden/kernel_1`) are unique per process, not per model, and
 * would differ between two builds. When names collide (two nested models each with a layer `hidden`),
 * each colliding weight is named by the path of the models that hold its layer: `encoderA/hidden/kernel`
 * and `encoderB/hidden/kernel`. Should two weights still share a name, their position in
 * `trainableWeights` is appended (`#3`).
 */
export function weightNames(layersModel: tf.LayersModel): ReadonlyArray<readonly [string, tf.LayerVariable]> {
  const weights = layersModel.trainableWeights;
  const owner = new Map<tf.LayerVariable, ReadonlyArray<string>>();
  for (const { layer, path } of leafLayers(layersModel))
    for (const weight of layer.trainableWeights) if (!owner.has(weight)) owner.set(weight, path);

  const count = (names: ReadonlyArray<string>) => names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());
  const scoped = weights.map((w) => w.originalName);
  const scopedCounts = count(scoped);
  const qualified = weights.map((w, i) => {
    const name = scoped[i] as string;
    if (scopedCounts.get(name) === 1) return name;
    const models = (owner.get(w) ?? []).slice(0, -1);
    return [...models, name].join('/');
  });
  const qualifiedCounts = count(qualified);
  return weights.map((w, i) => {
    const name = qualified[i] as string;
    return [qualifiedCounts.get(name) === 1 ? name : `${name}#${i}`, w] as const;
  });
}
