import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors/ConfigError.js';
import { binaryCrossentropy } from './losses/binaryCrossentropy.js';
import { categoricalCrossentropy } from './losses/categoricalCrossentropy.js';
import { meanSquaredError } from './losses/meanSquaredError.js';
import { sparseCategoricalCrossentropy } from './losses/sparseCategoricalCrossentropy.js';
import type { Loss } from './types.js';

/** The Keras loss names {@link lossFromName} knows, as tfjs `compile` takes them. */
export type KerasLossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError';

const byName: Readonly<Record<KerasLossName, Loss>> = {
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  binaryCrossentropy,
  meanSquaredError,
};

/** `categorical_crossentropy` (as Keras and a saved tfjs model write it) to `categoricalCrossentropy`. */
const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The built-in {@link Loss} a Keras loss name stands for, so that a tfjs model trains with {@link train}
 * under the loss it was compiled with: `lossFromName(layersModel.loss)`. Takes the camelCase names of
 * tfjs `compile` and the snake_case ones of Keras and saved models, or a one-element list of either (what
 * a single-output model compiled with `loss: ['...']` holds). The losses take probabilities, as tfjs's do
 * for models ending in `softmax` or `sigmoid`, and match them (clipping included).
 *
 * ## Example
 * ```ts
 * layersModel.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
 * const steps$ = batches$.pipe(
 *   train({ model: fromLayersModel(layersModel), loss: lossFromName(layersModel.loss), optimizer: sgd({ learningRate: 0.15 }), microBatchSize: 32, accumulationSteps: 4 }),
 * );
 * ```
 *
 * @param name a loss name, or a compiled Layers model's `loss`
 * @returns the per-example loss
 * @throws {ConfigError} for a name it does not know, a loss function (pass a per-example {@link Loss} to
 *   `train` directly), several losses, or an uncompiled model's `loss` (undefined)
 */
export function lossFromName(name: tf.LayersModel['loss'] | KerasLossName): Loss {
  const known = Object.keys(byName).join(', ');
  const single: unknown = Array.isArray(name) && name.length === 1 ? name[0] : name;
  if (typeof single === 'function')
    throw new ConfigError('lossFromName', 'name', single, `a loss name (${known}); a loss function goes to train({ loss }) directly, as a per-example Loss`);
  const key = typeof single === 'string' ? camel(single) : undefined;
  const loss = key !== undefined && Object.hasOwn(byName, key) ? byName[key as KerasLossName] : undefined;
  if (loss === undefined)
    throw new ConfigError('lossFromName', 'name', single, `one of ${known} (or their snake_case forms), as a model compiled with one loss holds it`);
  return loss;
}
