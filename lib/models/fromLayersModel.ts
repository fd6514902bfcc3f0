import * as tf from '@tensorflow/tfjs';
import type { Params } from '../params/types.js';
import type { ApplyOptions, Model } from './types.js';
import { weightNames } from './weightNames.js';
import { ConfigError } from '../errors/ConfigError.js';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';
import { configEntries, leafLayers } from './internal/layerTree.js';
import { batchCoupledLayers } from '../internal/batchCoupledLayers.js';
import { optionKeys, optionsObject } from '../internal/options.js';
import { getOrThrow } from '../internal/validate.js';

const FN = 'fromLayersModel';

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
 * Adapts a tfjs Layers model (Sequential or functional, models nested in it included) into a pure
 * {@link Model}: `apply(params, xs, options)` runs the layers with `params` in place of their trainable
 * weights, so gradstream can differentiate with respect to them and every micro-batch of a window sees
 * the same parameters.
 *
 * **Training and inference.** `apply(params, xs, { training: true })`, as gradstream calls it when it
 * differentiates, runs the layers in training mode: Dropout draws a fresh mask per micro-batch, and
 * BatchNormalization normalises each micro-batch with its own statistics and updates its moving mean and
 * variance once per micro-batch (so a BatchNormalization model is not exactly its full-batch twin, as in
 * every accumulation library). `apply(params, xs, { training: false })`, or without options as tfjs's own
 * `apply`, is inference: Dropout is off, BatchNormalization uses its moving statistics and leaves them
 * as they are. Evaluate with it (gradstream's {@link evaluate} does).
 *
 * **Names.** Parameters are the model's trainable weights, named as their layers scope them
 * (`hidden/kernel`, or `dense_Dense1/kernel` for a layer named by tfjs). Where two weights would share a
 * name (two nested models each with a layer `hidden`), each is prefixed with the path of the models that
 * hold it (`encoderA/hidden/kernel`). Names depend only on the model's structure, so they are the same in
 * every process and copy, and a saved {@link TrainState} fits a fresh copy of the model.
 *
 * **What is refused**, with a {@link ConfigError} naming the layer by its path, because gradstream would
 * otherwise train something other than what the model says:
 * - regularizers (`kernelRegularizer`, `activityRegularizer`, …) at any depth: `model.fit` adds their
 *   penalty to the loss, the layers do not. Use weight decay in the optimizer (`adamw`,
 *   `addDecayedWeights`) or add the penalty to your loss.
 * - weight constraints (`kernelConstraint`, …): Keras projects weights after each optimizer step, and
 *   tfjs's `LayerVariable.write` projects on every write (and leaks the result), so params and layer
 *   would disagree. Drop the constraint, or clip in the optimizer (`clipByValue` clips updates).
 * - models with several inputs or outputs: a gradstream batch carries one `xs` and one `ys` tensor.
 *   Concatenate inputs into one tensor, or wrap the model in your own {@link Model}.
 * - models with no trainable weight.
 * - a batch-coupled layer (BatchNormalization, in nested models too), unless `options.batchStatistics` is
 *   `'per-micro-batch'`: such a model trains, but not on the full batch's gradient, and nothing else would
 *   tell. `checkAccumulationSafety` (from `gradstream/testing`) measures how far apart the two are.
 *
 * `params` are the Layers model's live variables (owned by the Layers model): a {@link writeParams}
 * moves where the next run starts. Write trained parameters back with {@link writeParams}, so that
 * `predict` and `save` use them.
 *
 * ## Example
 * ```ts
 * const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
 * const model = fromLayersModel(layers);
 * console.log(Object.keys(model.params)); // e.g. ['dense_Dense1/kernel', 'dense_Dense1/bias']
 * const predictions = model.apply(model.params, tf.ones([8, 4]), { training: false });
 * ```
 *
 * @param layersModel a built tfjs Layers model (its weights are not copied: `params` are its variables,
 *   owned by the Layers model)
 * @param options `batchStatistics: 'per-micro-batch'` to accept a BatchNormalization model
 * @returns the pure model
 * @throws {ConfigError} when a layer has a regularizer or a constraint, or the model has several inputs
 *   or outputs, or no trainable weight, or a batch-coupled layer and `batchStatistics` is not
 *   `'per-micro-batch'`, or an option is unknown
 * @see writeParams
 */
export function fromLayersModel(layersModel: tf.LayersModel, options: FromLayersModelOptions = {}): LayersModelAdapter {
  if (!(layersModel instanceof tf.LayersModel) && !Array.isArray((layersModel as { layers?: unknown } | null)?.layers))
    throw new ConfigError(FN, 'layersModel', layersModel, 'a tf.LayersModel (tf.sequential or tf.model)');
  rejectMultipleTensors(layersModel);
  rejectOptions(layersModel, 'Regularizer', "absent (model.fit adds a regularizer's penalty to the loss, gradstream does not: use addDecayedWeights or adamw's weightDecay in the optimizer, or add the penalty to the loss)");
  rejectConstraints(FN, layersModel);
  rejectBatchCoupling(layersModel, options);
  const weights = weightNames(layersModel);
  if (weights.length === 0) throw new ConfigError(FN, 'layersModel.trainableWeights', [], 'at least one trainable weight');
  const params: Record<string, tf.Tensor> = {};
  for (const [name, weight] of weights) params[name] = weight.read();
  return {
    layersModel,
    params,
    apply: (current: Params, xs: tf.Tensor, options?: ApplyOptions): tf.Tensor => {
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
        // Absent options mean inference, as for tfjs's own `apply`: only gradstream's gradient pass trains.
        return layersModel.apply(xs, { training: options?.training === true }) as tf.Tensor;
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

/** A gradstream batch is one `xs` and one `ys`: a model with several inputs or outputs cannot take it. */
function rejectMultipleTensors(layersModel: tf.LayersModel): void {
  for (const side of ['inputs', 'outputs'] as const) {
    const tensors = layersModel[side];
    if (tensors.length !== 1)
      throw new ConfigError(
        FN,
        `layersModel.${side}`,
        tensors.map((t) => t.name),
        `a single tensor (a gradstream batch carries one xs and one ys: concatenate the ${side} into one tensor, or wrap the model in your own Model)`,
      );
  }
}

/** Throws for the first option, at any depth, whose key ends with `suffix` and that is set. */
function rejectOptions(layersModel: tf.LayersModel, suffix: string, expected: string): void {
  for (const placed of leafLayers(layersModel)) {
    const [found] = configEntries(placed, suffix);
    if (found) throw new ConfigError(FN, `layer '${found.path}' ${found.key}`, found.value, expected);
  }
}

/**
 * Refuses a model whose trainable weights have constraints (see {@link fromLayersModel} for why).
 * Shared with {@link writeParams}, which would otherwise leak one tensor per constrained weight and call.
 */
export function rejectConstraints(fn: string, layersModel: tf.LayersModel): void {
  for (const placed of leafLayers(layersModel)) {
    const [found] = configEntries(placed, 'Constraint');
    if (found)
      throw new ConfigError(
        fn,
        `layer '${found.path}' ${found.key}`,
        found.value,
        'absent (gradstream does not project weights after an update, so params and layer would disagree: drop the constraint, or use clipByValue in the optimizer)',
      );
  }
  // A constraint set on a weight without a config entry (a custom layer) is caught on the variable.
  const constrained = layersModel.trainableWeights.find((w) => (w as unknown as { constraint?: unknown }).constraint != null);
  if (constrained)
    throw new ConfigError(fn, `weight '${constrained.originalName}' constraint`, (constrained as unknown as { constraint: unknown }).constraint, 'absent (gradstream does not project weights after an update)');
}

/**
 * A batch-coupled layer makes accumulation inexact without any error: refuse it unless the caller says
 * they accept per-micro-batch statistics. An option, not a warning, because a warning in a library is a
 * side effect (a console) that a training script's output buries, and gradstream never falls back silently.
 */
function rejectBatchCoupling(layersModel: tf.LayersModel, options: FromLayersModelOptions): void {
  getOrThrow(optionsObject(FN, optionKeys<FromLayersModelOptions>({ batchStatistics: true }))(options));
  const acknowledged = (options as { batchStatistics?: unknown }).batchStatistics;
  if (acknowledged !== undefined && acknowledged !== 'per-micro-batch')
    throw new ConfigError(FN, 'batchStatistics', acknowledged, "'per-micro-batch' or absent");
  const [first] = batchCoupledLayers(layersModel);
  if (first && acknowledged === undefined)
    throw new ConfigError(
      FN,
      'batchStatistics',
      undefined,
      `'per-micro-batch' for a model with layer '${first.name}' (${first.className}), which normalises each micro-batch by its own statistics, so an accumulated update differs from the full batch's (or remove the layer)`,
    );
}
