import type * as tf from '@tensorflow/tfjs';
import { renameCounterNames } from './internal/counterNames.js';
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
 *
 * A layer the user did not name gets a name tfjs counts per process (`dense_Dense3`: the third Dense
 * layer made so far), so a model built after another would get other names. Such names are replaced by
 * one counted per class within this model, in `trainableWeights` order (`dense_1`, `dense_2`); the
 * models that hold it are renamed alike (`sequential_1`). Names the user gave are kept as they are.
 */
export function weightNames(layersModel: tf.LayersModel): ReadonlyArray<readonly [string, tf.LayerVariable]> {
  const weights = layersModel.trainableWeights;
  const owner = new Map<tf.LayerVariable, ReadonlyArray<string>>();
  for (const { layer, path } of leafLayers(layersModel))
    for (const weight of layer.trainableWeights) if (!owner.has(weight)) owner.set(weight, path);

  const count = (names: ReadonlyArray<string>) => names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());
  // Each weight's holding models, then its scoped name, renamed together so a counter name gets one
  // new name wherever it appears.
  const holders = weights.map((w) => (owner.get(w) ?? []).slice(0, -1));
  const renamed = renameCounterNames(weights.flatMap((w, i) => [holders[i] as ReadonlyArray<string>, w.originalName.split('/')]));
  const scoped = weights.map((_, i) => (renamed[2 * i + 1] as ReadonlyArray<string>).join('/'));
  const scopedCounts = count(scoped);
  const qualified = weights.map((_, i) => {
    const name = scoped[i] as string;
    if (scopedCounts.get(name) === 1) return name;
    return [...(renamed[2 * i] as ReadonlyArray<string>), name].join('/');
  });
  const qualifiedCounts = count(qualified);
  return weights.map((w, i) => {
    const name = qualified[i] as string;
    return [qualifiedCounts.get(name) === 1 ? name : `${name}#${i}`, w] as const;
  });
}
