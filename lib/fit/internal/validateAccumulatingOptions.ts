import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { optionsObject } from '../../internal/options.js';
import { required } from '../../internal/required.js';
import { integerAtLeast, oneOf, withDefault } from '../../internal/validate.js';

/** What an accumulating optimizer does with a window still open when an epoch ends. */
export type EpochEnd = 'carry' | 'apply';

/** The checked configuration of an accumulating optimizer. */
export interface AccumulatingConfig {
  readonly inner: tf.Optimizer;
  readonly steps: number;
  readonly epochEnd: EpochEnd;
}

export const FN = 'accumulatingOptimizer';

/** Marks the optimizers accumulatingOptimizer makes, so that one is refused as another's inner. */
export const ACCUMULATING = Symbol.for('gradstream.accumulatingOptimizer');

const isRecord = (v: unknown): v is Record<PropertyKey, unknown> => typeof v === 'object' && v !== null;

const WHAT_TO_PASS = 'a tfjs optimizer such as tf.train.sgd(0.1) or tf.train.adam(1e-3)';

/**
 * The inner optimizer: a tfjs optimizer, and not one that already accumulates. A gradstream optimizer (a
 * pure `{ init, update }` transform) is named as such, since it belongs in `train()` instead.
 */
export const innerOptimizer = (value: unknown): E.Either<ConfigError, tf.Optimizer> => {
  if (isRecord(value) && value[ACCUMULATING] === true)
    return E.left(new ConfigError(FN, 'inner', 'an accumulatingOptimizer', `${WHAT_TO_PASS}, not an accumulating one (for a × b batches use one wrapper with steps: a × b)`));
  if (isRecord(value) && typeof value['init'] === 'function' && typeof value['update'] === 'function' && typeof value['applyGradients'] !== 'function')
    return E.left(
      new ConfigError(FN, 'inner', 'a gradstream optimizer ({ init, update })', `${WHAT_TO_PASS}; a gradstream optimizer such as sgd({ learningRate }) goes to train({ optimizer }) instead`),
    );
  // tf.Optimizer's instanceof reads value.minimize: only ask it about objects.
  if (isRecord(value) && value instanceof tf.Optimizer && typeof (value as { getClassName?: unknown }).getClassName === 'function') return E.right(value);
  return E.left(new ConfigError(FN, 'inner', value, `${WHAT_TO_PASS} (any subclass of tf.Optimizer)`));
};

/** Validates `accumulatingOptimizer(inner, options)`: pure, data-last over the options. */
export const validateAccumulatingOptions =
  (inner: unknown) =>
  (options: unknown): E.Either<ConfigError, AccumulatingConfig> =>
    pipe(
      required(FN, 'inner', WHAT_TO_PASS, innerOptimizer)(inner),
      E.chain((checkedInner) =>
        pipe(
          required(FN, 'options', 'an object with steps (batches per update)', optionsObject(FN, ['steps', 'epochEnd']))(options),
          E.chain((o) =>
            pipe(
              E.Do,
              E.bind('inner', () => E.right(checkedInner)),
              E.bind('steps', () => required(FN, 'steps', 'an integer >= 1 (batches per update)', integerAtLeast(FN, 'steps', 1))(o['steps'])),
              E.bind('epochEnd', () => withDefault(oneOf<EpochEnd>(FN, 'epochEnd', ['carry', 'apply']), 'carry')(o['epochEnd'])),
            ),
          ),
        ),
      ),
    );
