import { describeValue } from '../internal/describeValue.js';
import { GradstreamError } from './GradstreamError.js';

/** One field in which a checkpoint's configuration differs from the run that would resume it. */
export interface FingerprintDifference {
  /** The field, e.g. `accumulationSteps`, `optimizer.learningRate`, `params['dense/kernel'].shape`. */
  readonly field: string;
  /** Its value in the checkpoint (`undefined`: absent). */
  readonly saved: unknown;
  /** Its value in the new run (`undefined`: absent). */
  readonly current: unknown;
}

/**
 * A checkpoint was saved under another configuration than the run that would resume from it: another
 * accumulation steps, micro-batch size, optimizer or hyper-parameter, or parameters with other names,
 * shapes or dtypes. Resuming would silently train something else, so it is refused; `differences` names
 * each field with its saved and its new value. A deliberate change of the learning rate or of the
 * accumulation steps is allowed with `allowChanges: ['learningRate']` or `['accumulationSteps']`; when
 * parameter names differ, the message suggests naming the model's layers instead.
 *
 * ## Example
 * ```ts
 * try {
 *   await loadCheckpoint(storage, { fingerprint });
 * } catch (e) {
 *   if (e instanceof CheckpointMismatchError)
 *     for (const d of e.differences) console.log(d.field, d.saved, d.current); // accumulationSteps 4 8
 * }
 * ```
 */
export class CheckpointMismatchError extends GradstreamError {
  /** The checkpoint's name. */
  readonly checkpoint: string;
  /** Every field that differs. */
  readonly differences: ReadonlyArray<FingerprintDifference>;

  /**
   * @param checkpoint the checkpoint's name
   * @param differences every field that differs, with both values
   */
  constructor(checkpoint: string, differences: ReadonlyArray<FingerprintDifference>) {
    const list = differences.map((d) => `${d.field}: saved ${show(d.saved)}, now ${show(d.current)}`).join('; ');
    super(`checkpoint '${checkpoint}' was saved with another configuration: ${list} (${remedy(differences)})`, differences);
    this.checkpoint = checkpoint;
    this.differences = differences;
  }
}

const show = (v: unknown): string => (v === undefined ? 'absent' : describeValue(v));

/** A parameter present on one side only: `params["dense/bias"]`, not its `.shape` or `.dtype`. */
const isNameDifference = (d: FingerprintDifference): boolean => /^params\[.*\]$/.test(d.field) && (d.saved === undefined || d.current === undefined);

// Parameters with other names are most often layers the user left unnamed in a model built another way;
// allowChanges cannot bridge that, so the hint names the remedy that can.
const remedy = (differences: ReadonlyArray<FingerprintDifference>): string =>
  differences.some(isNameDifference)
    ? 'parameter names differ: give the layers explicit names, e.g. tf.layers.dense({ name: ' +
      "'hidden', ... }), so that every build of the model names its parameters alike; allowChanges cannot help here"
    : 'to change the learning rate or the accumulation steps on purpose, pass allowChanges';
