import type * as tf from '@tensorflow/tfjs';
import { checkSameParams } from '../internal/tensorMaps.js';
import type { Params } from '../params/types.js';
import { rejectConstraints } from './fromLayersModel.js';
import { weightNames } from './weightNames.js';

/**
 * Writes parameters into the trainable weights of a tfjs Layers model, so that its `predict`, `evaluate`
 * and `save` use them. The companion of {@link fromLayersModel}.
 *
 * ## Example
 * ```ts
 * const last = await lastValueFrom(batches$.pipe(train({ model, loss, optimizer, accumulationSteps: 4 })));
 * writeParams(model.layersModel, last.params);
 * model.layersModel.predict(xs);
 * ```
 *
 * @param layersModel the model to write into
 * @param params one tensor per trainable weight, named as {@link fromLayersModel} names them; copied into
 *   the weights' variables (not disposed, not kept: the caller still owns them)
 * A model with a weight constraint (`kernelConstraint`, …) is refused with a {@link ConfigError} before
 * anything is written, as {@link fromLayersModel} refuses it: tfjs's `LayerVariable.write` would project
 * the values (so the layer would hold something other than `params`) and leak the projection.
 *
 * @throws {ParamMismatchError} naming the weight when a name is missing or extra, or a shape differs
 * @throws {ConfigError} when a weight has a constraint; nothing is written then
 */
export function writeParams(layersModel: tf.LayersModel, params: Params): void {
  rejectConstraints('writeParams', layersModel);
  const weights = weightNames(layersModel);
  const current: Record<string, tf.Tensor> = {};
  for (const [name, weight] of weights) current[name] = weight.read();
  checkSameParams('writeParams', params, current, 'value');
  for (const [name, weight] of weights) weight.write(params[name] as tf.Tensor);
}
