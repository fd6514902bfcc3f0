import { ConfigError } from '../../errors/ConfigError.js';
import type { LayersModelAdapter } from '../../models/fromLayersModel.js';
import * as losses from '../../models/losses/index.js';
import type { Loss, Model } from '../../models/types.js';
import type { Params } from '../../params/types.js';
import type { WorkerPoolConfig } from './options.js';
import { FN, type LossSpec, type ModelSpec, type ParamSpec } from './protocol.js';

// What a worker is told at start about the run's model, loss and parameters: checked on the main thread,
// when the run opens, so that what cannot reach a worker fails before any worker starts.

/** How a worker rebuilds the model: from the configured module, or from a Layers model's topology. */
export function modelSpec(config: WorkerPoolConfig, model: Model): ModelSpec {
  if (config.model) return { kind: 'module', ...config.model };
  const layers = (model as Partial<LayersModelAdapter>).layersModel;
  if (layers) return { kind: 'layers', topology: layers.toJSON(null, false) };
  throw new ConfigError(FN, 'model', undefined, "a module exporting the model ({ url, export }): a pure-function model cannot be sent to a worker (a model from fromLayersModel can)");
}

/** How a worker finds the loss: from the configured module, or a built-in one by its name. */
export function lossSpec(config: WorkerPoolConfig, loss: Loss): LossSpec {
  if (config.loss) return { kind: 'module', ...config.loss };
  const builtin = Object.entries(losses).find(([, l]) => l === loss);
  if (builtin) return { kind: 'builtin', name: builtin[0] };
  throw new ConfigError(FN, 'loss', undefined, 'a module exporting the loss ({ url, export }): only a built-in loss reaches a worker by itself');
}

/** Each parameter's place in the shared buffer, in the params' own order, one after the other. */
export function paramSpecs(params: Params): ReadonlyArray<ParamSpec> {
  const specs: ParamSpec[] = [];
  for (const [name, t] of Object.entries(params)) {
    if (t.dtype !== 'float32') throw new ConfigError(FN, `parameter '${name}' dtype`, t.dtype, 'float32');
    const last = specs[specs.length - 1];
    specs.push({ name, shape: [...t.shape], offset: last ? last.offset + last.size : 0, size: t.size });
  }
  return specs;
}

/** The float32 elements of every parameter together. */
export const totalSize = (specs: ReadonlyArray<ParamSpec>): number => specs.reduce((n, s) => n + s.size, 0);
