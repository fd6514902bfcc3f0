import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { AccumulationSteps, NonFinitePolicy } from '../accumulate/accumulate.js';
import { validateAccumulate } from '../accumulate/accumulate.js';
import { ConfigError } from '../errors/ConfigError.js';
import { checkSameParams } from '../internal/tensorMaps.js';
import { integerAtLeast, isFunction, withDefault } from '../internal/validate.js';
import type { Loss, Model } from '../models/types.js';
import type { GradientTransformation } from '../optim/types.js';
import type { TrainState } from './types.js';

/** Options of {@link train}. */
export interface TrainOptions<S> {
  /** The model: its `params` are where training starts, unless `initialState` is given. */
  readonly model: Model;
  /** Per-example losses, or `{ sum, count }`. */
  readonly loss: Loss;
  /** A pure optimizer, e.g. `adam({ learningRate: 1e-3 })` or a `chain(...)`. */
  readonly optimizer: GradientTransformation<S>;
  /** Micro-batches per update: a fixed count, or a function of the updates made so far. */
  readonly accumulationSteps: AccumulationSteps;
  /** Split each incoming batch into micro-batches of this many examples (default: each batch is one). */
  readonly microBatchSize?: number;
  /** At completion, a window short of its size is `'apply'`ed (default) or `'drop'`ped. */
  readonly partialWindow?: 'apply' | 'drop';
  /** A micro-batch with a non-finite loss or gradient: `'error'` (default), `'skip-micro-batch'` or `'skip-update'`. */
  readonly nonFinite?: NonFinitePolicy;
  /** Continue a run from a {@link TrainStep.state} (owned by the caller: train never disposes it). */
  readonly initialState?: TrainState<S>;
}

/** {@link TrainOptions} after validation, defaults filled in. */
export interface TrainConfig<S> {
  readonly model: Model;
  readonly loss: Loss;
  readonly optimizer: GradientTransformation<S>;
  readonly accumulationSteps: AccumulationSteps;
  readonly microBatchSize: number | undefined;
  readonly partialWindow: 'apply' | 'drop';
  readonly nonFinite: NonFinitePolicy;
  readonly initialState: TrainState<S> | undefined;
}

const FN = 'train';

const present =
  <T>(field: string, ok: (v: unknown) => boolean, expected: string) =>
  (value: unknown): E.Either<ConfigError, T> =>
    ok(value) ? E.right(value as T) : E.left(new ConfigError(FN, field, value, expected));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * The pure validator behind {@link train}: every option checked, before any tensor is made.
 * An `initialState` must hold the model's parameter names and shapes.
 */
export const validateTrainOptions = <S>(options: TrainOptions<S>): E.Either<ConfigError, TrainConfig<S>> =>
  pipe(
    E.Do,
    E.bind('options', () => present<TrainOptions<S>>('options', isObject, 'an object')(options)),
    E.bind('model', ({ options: o }) =>
      present<Model>('model', (m) => isObject(m) && isObject(m['params']) && typeof m['apply'] === 'function', 'a Model ({ params, apply })')(o.model),
    ),
    E.bind('loss', ({ options: o }) => isFunction<Loss>(FN, 'loss')(o.loss)),
    E.bind('optimizer', ({ options: o }) =>
      present<GradientTransformation<S>>(
        'optimizer',
        (t) => isObject(t) && typeof t['init'] === 'function' && typeof t['update'] === 'function',
        'a GradientTransformation ({ init, update })',
      )(o.optimizer),
    ),
    E.bind('microBatchSize', ({ options: o }) =>
      withDefault<number | undefined>(integerAtLeast(FN, 'microBatchSize', 1), undefined)(o.microBatchSize),
    ),
    E.bind('initialState', ({ options: o, model }) => initialState<S>(o.initialState, model)),
    E.bind('accumulation', ({ options: o, initialState: s }) =>
      validateAccumulate(FN, o.accumulationSteps, {
        ...(o.partialWindow === undefined ? {} : { partialWindow: o.partialWindow }),
        ...(o.nonFinite === undefined ? {} : { nonFinite: o.nonFinite }),
        startStep: s?.step ?? 0,
      }),
    ),
    E.map(({ model, loss, optimizer, microBatchSize, initialState: s, accumulation }) => ({
      model,
      loss,
      optimizer,
      accumulationSteps: accumulation.steps,
      microBatchSize,
      partialWindow: accumulation.partialWindow,
      nonFinite: accumulation.nonFinite,
      initialState: s,
    })),
  );

const initialState = <S>(value: unknown, model: Model): E.Either<ConfigError, TrainState<S> | undefined> => {
  if (value === undefined) return E.right(undefined);
  if (!isObject(value) || !isObject(value['params']) || !('optimizerState' in value))
    return E.left(new ConfigError(FN, 'initialState', value, 'a TrainState (a TrainStep.state)'));
  for (const counter of ['step', 'microBatches', 'examples', 'skippedMicroBatches', 'skippedUpdates'] as const) {
    const checked = integerAtLeast(FN, `initialState.${counter}`, 0)(value[counter]);
    if (E.isLeft(checked)) return checked;
  }
  const state = value as unknown as TrainState<S>;
  try {
    checkSameParams(FN, state.params, model.params, 'initialState parameter');
  } catch (mismatch) {
    return E.left(new ConfigError(FN, 'initialState.params', Object.keys(state.params), `the model's parameters (${(mismatch as Error).message})`));
  }
  return E.right(state);
};
