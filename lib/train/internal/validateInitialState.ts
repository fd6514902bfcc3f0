import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { describeValue } from '../../internal/describeValue.js';
import { checkSameParams, disposeTree, tidyTree } from '../../internal/tensorMaps.js';
import { integerAtLeast } from '../../internal/validate.js';
import type { Model } from '../../models/types.js';
import type { GradientTransformation } from '../../optim/types.js';
import type { TrainState } from '../types.js';

const FN = 'train';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * `train`'s `initialState`, checked: the model's parameter names and shapes, live tensors, an open window
 * of the same step, and an optimizer state of the given optimizer's structure.
 */
export const initialState = <S>(value: unknown, m: Model, opt: GradientTransformation<S>): E.Either<ConfigError, TrainState<S> | undefined> => {
  if (value === undefined) return E.right(undefined);
  if (!isObject(value) || !isObject(value['params']) || !('optimizerState' in value))
    return E.left(new ConfigError(FN, 'initialState', value, 'a TrainState (a TrainStep.state)'));
  for (const counter of ['step', 'microBatches', 'examples', 'skippedMicroBatches', 'skippedUpdates'] as const) {
    const checked = integerAtLeast(FN, `initialState.${counter}`, 0)(value[counter]);
    if (E.isLeft(checked)) return checked;
  }
  const state = value as unknown as TrainState<S>;
  const window = state.window;
  if (window !== undefined && (!isObject(window) || window.updates !== state.step))
    return E.left(new ConfigError(FN, 'initialState.window', window, `an open window after ${state.step} updates (a TrainStopped.state's)`));
  try {
    checkSameParams(FN, state.params, m.params, 'initialState parameter');
  } catch (mismatch) {
    return E.left(new ConfigError(FN, 'initialState.params', Object.keys(state.params), `the model's parameters (${(mismatch as Error).message})`));
  }
  const disposed = Object.keys(state.params).find((n) => (state.params[n] as tf.Tensor).isDisposed);
  if (disposed !== undefined)
    return E.left(new ConfigError(FN, `initialState.params.${disposed}`, state.params[disposed], 'a live tensor (this state was disposed)'));
  const mismatch = optimizerStateMismatch(opt, m.params, state.optimizerState);
  if (mismatch !== undefined)
    return E.left(
      new ConfigError(FN, 'initialState.optimizerState', state.optimizerState, `the state of the given optimizer (${mismatch}): was it made by another optimizer?`),
    );
  return E.right(state);
};

/**
 * Where `actual` departs from the structure of a state the optimizer makes for these params (names,
 * nesting, tensor shapes), or `undefined` when it has that structure. The reference state is made by
 * `init` inside a tidy and freed at once: the only tensors validation makes, and none survive it.
 */
const optimizerStateMismatch = <S>(opt: GradientTransformation<S>, params: Model['params'], actual: unknown): string | undefined => {
  const expected = tidyTree(() => opt.init(params));
  try {
    return structureMismatch(expected, actual, 'optimizerState');
  } finally {
    disposeTree(expected);
  }
};

const structureMismatch = (expected: unknown, actual: unknown, path: string): string | undefined => {
  const at = (what: string) => `${path} should be ${what}, got ${describeValue(actual, 60)}`;
  if (expected instanceof tf.Tensor) {
    if (!(actual instanceof tf.Tensor)) return at(`a tensor of shape [${expected.shape.join(', ')}]`);
    if (actual.isDisposed) return `${path} is a disposed tensor`;
    const same = actual.rank === expected.rank && actual.shape.every((d: number, i: number) => d === expected.shape[i]);
    return same ? undefined : at(`a tensor of shape [${expected.shape.join(', ')}]`);
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return at(`a tuple of ${expected.length}`);
    for (let i = 0; i < expected.length; i++) {
      const found = structureMismatch(expected[i], actual[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isObject(expected)) {
    if (!isObject(actual) || Array.isArray(actual) || actual instanceof tf.Tensor) return at(`an object with ${Object.keys(expected).join(', ')}`);
    for (const key of Object.keys(expected)) {
      if (!(key in actual)) return `${path}.${key} is missing`;
      const found = structureMismatch(expected[key], actual[key], `${path}.${key}`);
      if (found !== undefined) return found;
    }
    const extra = Object.keys(actual).find((k) => !(k in expected));
    return extra === undefined ? undefined : `${path}.${extra} is not part of this optimizer's state`;
  }
  return typeof actual === typeof expected ? undefined : at(`a ${typeof expected}`);
};
