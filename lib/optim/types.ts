import type { Params } from '../params/types.js';

/**
 * A learning-rate schedule: the learning rate of an update, given `step`, the number of optimizer updates
 * made before it (0 for the first update). Pure: called once per update, with that count and nothing else.
 */
export type Schedule = (step: number) => number;

/** A fixed learning rate or a {@link Schedule}. */
export type LearningRate = number | Schedule;

/**
 * A pure gradient transformation, as in Optax: `init` makes a state from the parameters, `update` turns
 * gradients and a state into updates and the next state.
 *
 * The state is a plain readonly value made of numbers and tensors, so that it can be saved and restored
 * exactly; every state counts the updates made so far. Neither function mutates, disposes or keeps a
 * reference to a tensor it is given: both return fresh tensors, which the caller owns (it disposes the
 * previous state once it has the next one).
 */
export interface GradientTransformation<S> {
  /** A fresh state for `params` (new tensors, owned by the caller). */
  init(params: Params): S;
  /**
   * Transforms `grads` into updates to add to `params`.
   * @returns the updates and the next state, both new tensors owned by the caller.
   */
  update(grads: Params, state: S, params: Params): readonly [updates: Params, state: S];
  /** The learning rate the next `update` from `state` will use, for transforms that have one. */
  learningRate?(state: S): number;
  /**
   * What the transform is and its hyper-parameters, as plain JSON (`{ name: 'adam', learningRate: 0.001,
   * beta1: 0.9, … }`; `chain` lists its members). Checkpoints keep it in their fingerprint so that a run is
   * not resumed under another optimizer. Every built-in transform has one; a learning-rate schedule
   * appears as `'schedule'` (a function's parameters cannot be read).
   */
  readonly spec?: TransformSpec;
}

/** A transform's name and hyper-parameters as JSON: see {@link GradientTransformation.spec}. */
export interface TransformSpec {
  readonly name: string;
  readonly [hyperParameter: string]: string | number | boolean | ReadonlyArray<TransformSpec | undefined>;
}

/** The state of a transform that keeps nothing but the number of updates made so far. */
export interface CountState {
  readonly count: number;
}
