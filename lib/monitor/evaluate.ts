import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Examples } from '../data/types.js';
import { ConfigError } from '../errors/ConfigError.js';
import type { Loss, Model } from '../models/types.js';
import type { Params } from '../params/types.js';
import { optionKeys, optionsObject } from '../internal/options.js';
import { getOrThrow, integerAtLeast, withDefault } from '../internal/validate.js';
import type { Evaluation } from './types.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The model whose parameters are scored. */
  readonly model: Model;
  /** The training loss, reported on the test set as `testLoss`. */
  readonly loss: Loss;
  /** Held-out examples, at least one. */
  readonly examples: Examples;
  /** Examples per forward pass, an integer >= 1. Default 500. */
  readonly batchSize?: number;
  /** Shape of one example, as for {@link shuffledBatches}. Default `[examples.features]`. */
  readonly inputShape?: ReadonlyArray<number>;
}

const FN = 'evaluate';

const validate = (o: EvaluateOptions) =>
  pipe(
    E.Do,
    E.bind('known', () => optionsObject(FN, optionKeys<EvaluateOptions>({ model: true, loss: true, examples: true, batchSize: true, inputShape: true }))(o)),
    E.bind('batchSize', () => withDefault(integerAtLeast(FN, 'batchSize', 1), 500)(o.batchSize)),
    E.bind('count', () => integerAtLeast(FN, 'examples.count', 1)(o.examples.count)),
    E.bind('inputShape', () => {
      const shape = o.inputShape ?? [o.examples.features];
      return shape.reduce((a, b) => a * b, 1) === o.examples.features
        ? E.right(shape)
        : E.left(new ConfigError(FN, 'inputShape', shape, `a shape of size ${o.examples.features}`));
    }),
  );

/**
 * Makes a scorer of parameters on held-out examples: mean loss and accuracy (the predicted class is
 * the arg-max of the predictions, the true class the arg-max of the one-hot label).
 *
 * The model runs in inference mode, `apply(params, xs, { training: false })`: Dropout off, and
 * BatchNormalization normalising with its moving statistics without updating them, so scoring the same
 * parameters twice gives the same result and leaves the model as it was.
 *
 * Synchronous, so that it can run inside a train step's emission while the step's parameters are valid
 * (see {@link metrics}). The examples stay in typed arrays; each pass creates its tensors in a `tidy`
 * and reads back three numbers, so no tensor outlives a call.
 *
 * ## Example
 * ```ts
 * const score = evaluate({ model, loss: losses.softmaxCrossEntropy, examples: test });
 * score(step.params); // { testLoss: 0.31, testAccuracy: 0.91 }
 * ```
 *
 * @param options model, loss, examples, batch size
 * @returns a function of parameters (read, never disposed) to an {@link Evaluation}
 * @throws ConfigError synchronously for an invalid option
 */
export function evaluate(options: EvaluateOptions): (params: Params) => Evaluation {
  const { batchSize, inputShape } = getOrThrow(validate(options));
  const { model, loss, examples } = options;
  const { count, features, classes } = examples;

  return (params) => {
    let lossSum = 0;
    let lossCount = 0;
    let correct = 0;
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(start + batchSize, count);
      const totals = tf.tidy(() => {
        const xs = tf.tensor(examples.images.subarray(start * features, end * features), [end - start, ...inputShape]);
        const ys = tf.tensor2d(examples.labels.subarray(start * classes, end * classes), [end - start, classes]);
        const predictions = model.apply(params, xs, { training: false });
        const value = loss(ys, predictions);
        const [sum, n] =
          value instanceof tf.Tensor
            ? [value.sum(), tf.scalar(value.size)]
            : [value.sum, typeof value.count === 'number' ? tf.scalar(value.count) : value.count];
        const hits = tf.equal(predictions.argMax(-1), ys.argMax(-1)).sum();
        return tf.stack([sum, n, hits].map((t) => t.toFloat()));
      });
      const [sum, n, hits] = totals.dataSync();
      totals.dispose();
      lossSum += sum as number;
      lossCount += n as number;
      correct += hits as number;
    }
    return { testLoss: lossSum / lossCount, testAccuracy: correct / count };
  };
}
