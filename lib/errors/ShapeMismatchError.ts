import { describeValue } from '../internal/describeValue.js';
import { GradstreamError } from './GradstreamError.js';

/**
 * Two tensors whose shapes must agree do not: predictions and labels in a loss, or a loss's per-example
 * output and the micro-batch. Sent down the stream's error channel, with both shapes as `input`.
 *
 * ## Example
 * ```ts
 * try {
 *   losses.meanSquaredError(tf.zeros([4, 1]), tf.zeros([4, 2]));
 * } catch (e) {
 *   // meanSquaredError: predictions and labels differ in shape: predictions [4, 2], labels [4, 1]
 *   if (e instanceof ShapeMismatchError) console.log(e.input); // { expected: [4, 1], actual: [4, 2] }
 * }
 * ```
 */
export class ShapeMismatchError extends GradstreamError {
  /**
   * @param fn the function that compared the shapes
   * @param what what was compared, e.g. `predictions and labels`
   * @param expected the shape that was required
   * @param actual the shape that was found
   * @param names what the two shapes belong to, `[actual, expected]` (e.g. `['predictions', 'labels']`):
   *   when given, the message names each shape rather than saying "expected" and "got"
   * @param hint what to do about it, appended to the message (e.g. one-hot labels for class indices)
   */
  constructor(
    fn: string,
    what: string,
    expected: ReadonlyArray<number | null>,
    actual: ReadonlyArray<number>,
    names?: readonly [actual: string, expected: string],
    hint?: string,
  ) {
    const shapes =
      names === undefined
        ? `expected ${describeValue(expected)}, got ${describeValue(actual)}`
        : `${names[0]} ${describeValue(actual)}, ${names[1]} ${describeValue(expected)}`;
    super(`${fn}: ${what} differ in shape: ${shapes}${hint === undefined ? '' : ` (${hint})`}`, { expected, actual });
  }
}
