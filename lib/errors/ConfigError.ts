import { describeValue } from '../internal/describeValue.js';
import { GradstreamError } from './GradstreamError.js';

/**
 * A configuration value is invalid. Thrown synchronously, before any tensor is made.
 *
 * The message names the function, the field and the value, for example
 * `adam: learningRate must be a finite number > 0 or a schedule (step) => number, got -1`; a required
 * option that is missing says so: `train: accumulationSteps is required: an integer >= 1, ...`.
 *
 * ## Example
 * ```ts
 * try {
 *   adam({ learningRate: -1 });
 * } catch (e) {
 *   if (e instanceof ConfigError) console.log(e.fn, e.field, e.input); // adam learningRate -1
 * }
 * ```
 */
export class ConfigError extends GradstreamError {
  /** The public function whose configuration is invalid. */
  readonly fn: string;
  /** The field (option) that holds the invalid value. */
  readonly field: string;

  /**
   * @param fn the public function, e.g. `adam`
   * @param field the option, e.g. `learningRate`
   * @param value the invalid value
   * @param expected what the value must be, e.g. `a finite number > 0`
   * @param missing the option is required and was not given: the message says `is required` rather
   *   than `got undefined`, which reads as if a value had been passed
   */
  constructor(fn: string, field: string, value: unknown, expected: string, missing = false) {
    super(missing ? `${fn}: ${field} is required: ${expected}` : `${fn}: ${field} must be ${expected}, got ${describeValue(value)}`, value);
    this.fn = fn;
    this.field = field;
  }
}
