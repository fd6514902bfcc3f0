import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors/ConfigError.js';
import { checkSameParams, disposeTree, mapParams, tidyTree } from '../internal/tensorMaps.js';
import type { Params } from '../params/types.js';
import type { GradientTransformation } from './types.js';

/** The state of `chain(t1, …, tn)`: the tuple of the members' states, in order. */
export type ChainState<T extends ReadonlyArray<GradientTransformation<unknown>>> = {
  readonly [K in keyof T]: T[K] extends GradientTransformation<infer S> ? S : never;
};

/**
 * Composes transforms: the updates of each are the gradients of the next (Optax's `chain`).
 *
 * How optimizers are built here, rather than with options: `chain(clipByGlobalNorm(1), adamw({...}))`
 * clips then steps. The state is the readonly tuple of the members' states, in order, and its type is
 * inferred. Chaining is associative in its updates. The intermediate updates are disposed inside `update`,
 * also when a member throws, so `update` leaves exactly the final updates and the new states.
 * `learningRate(state)` is forwarded from the first member that has one.
 *
 * ## Example
 * ```ts
 * const opt = chain(clipByGlobalNorm(1), adam({ learningRate: 1e-3 }));
 * const state = opt.init(params); // readonly [CountState, AdamState]
 * const [updates, next] = opt.update(grads, state, params);
 * opt.learningRate?.(next); // 1e-3, from adam
 * ```
 *
 * @param transforms the members, applied left to right; none gives the identity (updates are copies)
 * @returns a pure transform whose `init` and `update` return new tensors owned by the caller
 * @see {@link scale}, {@link clipByGlobalNorm}, {@link adamw}
 */
export function chain<T extends ReadonlyArray<GradientTransformation<unknown>>>(
  ...transforms: T
): GradientTransformation<ChainState<T>> {
  const members: ReadonlyArray<GradientTransformation<unknown>> = transforms;
  const index = members.findIndex((t) => t.learningRate !== undefined);
  const withRate = members[index];
  const checkState = (states: ReadonlyArray<unknown>): void => {
    if (!Array.isArray(states) || states.length !== members.length) {
      throw new ConfigError('chain.update', 'state', states, `a tuple of ${members.length} member states`);
    }
  };
  const chained: GradientTransformation<ChainState<T>> = {
    init: (params) => tidyTree(() => members.map((t) => t.init(params)) as unknown as ChainState<T>),
    update: (grads, states, params) => {
      checkSameParams('chain.update', grads, params);
      checkState(states);
      // One tidy around the whole chain: if a member throws, what earlier members made is disposed too.
      return tidyTree(() => {
        let updates: Params = members.length === 0 ? mapParams(grads, (g) => tf.clone(g)) : grads;
        const next = members.map((t, i) => {
          const [u, s] = t.update(updates, states[i], params);
          // Free each intermediate as soon as the next member has read it: peak memory stays at two maps.
          if (updates !== grads) disposeTree(updates);
          updates = u;
          return s;
        });
        return [updates, next as unknown as ChainState<T>] as const;
      });
    },
    spec: { name: 'chain', members: members.map((t) => t.spec) },
  };
  const rateOf = withRate?.learningRate?.bind(withRate);
  return rateOf === undefined ? chained : { ...chained, learningRate: (states) => rateOf(states[index]) };
}
