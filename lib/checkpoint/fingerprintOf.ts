import type { AccumulationSteps, NonFinitePolicy } from '../accumulate/accumulate.js';
import type { Model } from '../models/types.js';
import type { GradientTransformation } from '../optim/types.js';
import type { Fingerprint } from './types.js';

/** What {@link fingerprintOf} reads: the options a run passes to `train` (extra fields are ignored). */
export interface FingerprintOptions {
  readonly model: Pick<Model, 'params'>;
  readonly optimizer: GradientTransformation<unknown>;
  readonly accumulationSteps: AccumulationSteps;
  readonly microBatchSize?: number;
  readonly nonFinite?: NonFinitePolicy;
}

/**
 * The fingerprint of a run's configuration: what a checkpoint records, and what a resumed run must match
 * (accumulation steps or schedule, micro-batch size, non-finite policy, the optimizer with its
 * hyper-parameters, and every parameter's name, shape and dtype).
 *
 * The optimizer is described by its {@link GradientTransformation.spec} (every built-in transform has
 * one); a schedule appears by name only, as `'schedule'` or `'schedule:name'`: a function's parameters
 * cannot be read, so a changed schedule is not detected.
 *
 * ## Example
 * ```ts
 * const options = { model, loss: losses.softmaxCrossEntropy, optimizer: adam({ learningRate: 1e-3 }), accumulationSteps: 8 };
 * const fingerprint = fingerprintOf(options);
 * // { accumulationSteps: 8, microBatchSize: null, nonFinite: 'error', optimizer: { name: 'adam', learningRate: 0.001, … }, params: { … } }
 * ```
 *
 * @param options the same options as given to `train`
 * @returns a plain JSON value
 * @see saveCheckpoint
 * @see loadCheckpoint
 */
export function fingerprintOf(options: FingerprintOptions): Fingerprint {
  const steps = options.accumulationSteps;
  const params: Record<string, { shape: ReadonlyArray<number>; dtype: string }> = {};
  for (const [name, t] of Object.entries(options.model.params)) params[name] = { shape: [...t.shape], dtype: t.dtype };
  return {
    accumulationSteps: typeof steps === 'number' ? steps : steps.name ? `schedule:${steps.name}` : 'schedule',
    microBatchSize: options.microBatchSize ?? null,
    nonFinite: options.nonFinite ?? 'error',
    optimizer: options.optimizer.spec ?? null,
    params,
  };
}
