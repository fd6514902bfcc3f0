import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { AccumulationSteps, NonFinitePolicy } from '../accumulate/accumulate.js';
import { validateAccumulate } from '../accumulate/accumulate.js';
import { ConfigError } from '../errors/ConfigError.js';
import { required } from '../internal/required.js';
import { optionKeys, optionsObject } from '../internal/options.js';
import { integerAtLeast, isFunction, withDefault } from '../internal/validate.js';
import type { Loss, Model } from '../models/types.js';
import type { GradientTransformation } from '../optim/types.js';
import type { Observable } from 'rxjs';
import type { GradientPool } from '../parallel/types.js';
import type { TrainState } from './types.js';
import { initialState } from './internal/validateInitialState.js';

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
  /**
   * Continue a run from a {@link TrainStep.state} or a {@link TrainStopped.state} (owned by the caller: train
   * never disposes it, and works on a copy of its open window).
   */
  readonly initialState?: TrainState<S>;
  /**
   * Where a window's micro-batches are computed (default: one after the other on this thread), e.g.
   * `workerPool({ workers: 2 })` from `gradstream/node`. The result is the same either way.
   */
  readonly gradients?: GradientPool;
  /**
   * A graceful stop: when it emits, train finishes the micro-batch in hand, takes no more data, and emits a
   * {@link TrainStopped} with the open window instead of applying it. A run resumed from that state is
   * bit-identical to one never stopped.
   */
  readonly stop?: Observable<unknown>;
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
  readonly gradients: GradientPool | undefined;
  readonly stop: Observable<unknown> | undefined;
}

const FN = 'train';

const present =
  <T>(field: string, ok: (v: unknown) => boolean, expected: string) =>
  (value: unknown): E.Either<ConfigError, T> =>
    ok(value) ? E.right(value as T) : E.left(new ConfigError(FN, field, value, expected));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Every option {@link train} takes: any other key is a misspelling, rejected with the nearest of these. */
const TRAIN_OPTIONS = optionKeys<TrainOptions<unknown>>({
  model: true,
  loss: true,
  optimizer: true,
  accumulationSteps: true,
  microBatchSize: true,
  partialWindow: true,
  nonFinite: true,
  initialState: true,
  gradients: true,
  stop: true,
});

/** A tfjs Layers model: by class, or by shape when the app holds a second copy of tfjs. */
const isLayersModel = (v: unknown): boolean =>
  v instanceof tf.LayersModel || (isObject(v) && Array.isArray(v['layers']) && typeof v['predict'] === 'function' && typeof v['fit'] === 'function');

/** A tfjs optimizer (`tf.train.adam()`): by class, or by its `applyGradients`. */
const isTfjsOptimizer = (v: unknown): boolean => v instanceof tf.Optimizer || (isObject(v) && typeof v['applyGradients'] === 'function');

const model = (value: unknown): E.Either<ConfigError, Model> => {
  if (isLayersModel(value))
    return E.left(new ConfigError(FN, 'model', value, 'a gradstream Model ({ params, apply }): wrap a tf.LayersModel with fromLayersModel(layersModel)'));
  if (!isObject(value) || !isObject(value['params']) || typeof value['apply'] !== 'function')
    return E.left(new ConfigError(FN, 'model', value, 'a Model ({ params, apply }), or fromLayersModel(layersModel)'));
  const params = value['params'] as Record<string, unknown>;
  const names = Object.keys(params);
  // An empty map would reach tfjs as "gradients() received an empty list of xs" at the first micro-batch.
  if (names.length === 0) return E.left(new ConfigError(FN, 'model.params', params, 'a map of at least one parameter tensor'));
  const bad = names.find((n) => !(params[n] instanceof tf.Tensor) || (params[n] as tf.Tensor).isDisposed);
  if (bad !== undefined) return E.left(new ConfigError(FN, `model.params.${bad}`, params[bad], 'a live (not disposed) tensor'));
  return E.right(value as unknown as Model);
};

const optimizer = <S>(value: unknown): E.Either<ConfigError, GradientTransformation<S>> => {
  if (isTfjsOptimizer(value))
    return E.left(
      new ConfigError(
        FN,
        'optimizer',
        value,
        "one of gradstream's pure optimizers (sgd, adam, adamw, rmsprop, adagrad, or a chain(...) of transforms), not a tf.train optimizer",
      ),
    );
  return present<GradientTransformation<S>>(
    'optimizer',
    (t) => isObject(t) && typeof t['init'] === 'function' && typeof t['update'] === 'function',
    "a GradientTransformation ({ init, update }), e.g. adam({ learningRate: 1e-3 })",
  )(value);
};

/**
 * The pure validator behind {@link train}: every option checked, before the stream runs. Unknown option
 * names are rejected, naming the nearest valid one. An `initialState` must hold the model's parameter
 * names and shapes, live tensors, and an optimizer state of the given optimizer's structure.
 */
export const validateTrainOptions = <S>(options: TrainOptions<S>): E.Either<ConfigError, TrainConfig<S>> =>
  pipe(
    E.Do,
    E.bind('options', () =>
      pipe(
        required(FN, 'options', 'an object with model, loss, optimizer and accumulationSteps', present<TrainOptions<S>>('options', isObject, 'an object'))(options),
        E.chain((o) => optionsObject(FN, TRAIN_OPTIONS)(o)),
        E.map((o) => o as unknown as TrainOptions<S>),
      ),
    ),
    E.bind('model', ({ options: o }) => required(FN, 'model', 'a Model ({ params, apply }), or fromLayersModel(layersModel)', model)(o.model)),
    E.bind('loss', ({ options: o }) =>
      typeof o.loss === 'string'
        ? E.left(new ConfigError(FN, 'loss', o.loss, `a Loss function: for a Keras loss name, pass lossFromName(${JSON.stringify(o.loss)})`))
        : required(FN, 'loss', 'a Loss function (labels, predictions) => per-example loss, e.g. losses.softmaxCrossEntropy', isFunction<Loss>(FN, 'loss'))(o.loss),
    ),
    E.bind('optimizer', ({ options: o }) => required(FN, 'optimizer', 'a gradstream optimizer such as sgd({ learningRate: 0.1 })', optimizer<S>)(o.optimizer)),
    E.bind('microBatchSize', ({ options: o }) =>
      withDefault<number | undefined>(integerAtLeast(FN, 'microBatchSize', 1), undefined)(o.microBatchSize),
    ),
    E.bind('initialState', ({ options: o, model: m, optimizer: opt }) => initialState<S>(o.initialState, m, opt)),
    E.bind('accumulation', ({ options: o, initialState: s }) =>
      required(FN, 'accumulationSteps', 'an integer >= 1 (micro-batches per update), or a schedule (updateStep) => number', (steps) =>
        validateAccumulate(FN, steps, {
          ...(o.partialWindow === undefined ? {} : { partialWindow: o.partialWindow }),
          ...(o.nonFinite === undefined ? {} : { nonFinite: o.nonFinite }),
          startStep: s?.step ?? 0,
        }),
      )(o.accumulationSteps),
    ),
    E.bind('gradients', ({ options: o }) =>
      o.gradients === undefined || (isObject(o.gradients) && typeof o.gradients['open'] === 'function')
        ? E.right(o.gradients)
        : E.left(new ConfigError(FN, 'gradients', o.gradients, 'a GradientPool ({ open }), e.g. workerPool() from gradstream/node')),
    ),
    E.bind('stop', ({ options: o }) =>
      present<Observable<unknown> | undefined>(
        'stop',
        (v) => v === undefined || (isObject(v) && typeof v['subscribe'] === 'function'),
        'an Observable',
      )(o.stop),
    ),
    E.map(({ model: m, loss, optimizer: opt, microBatchSize, initialState: s, accumulation, gradients, stop }) => ({
      model: m,
      loss,
      optimizer: opt,
      accumulationSteps: accumulation.steps,
      microBatchSize,
      partialWindow: accumulation.partialWindow,
      nonFinite: accumulation.nonFinite,
      initialState: s,
      gradients,
      stop,
    })),
  );
