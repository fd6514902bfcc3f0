import * as tf from '@tensorflow/tfjs';
import { checkSameParams, mapParams, paramAt } from '../internal/tensorMaps.js';
import type { Params } from '../params/types.js';

/**
 * The parameters moved by the updates, p + u, as new tensors.
 *
 * The last step of every optimizer update: transforms return updates (already signed and scaled), and this
 * adds them. Pure: the caller still owns `params` and `updates`, and owns the result; a training loop that
 * keeps model variables assigns the result and disposes it.
 *
 * ## Example
 * ```ts
 * const [updates, next] = opt.update(grads, state, params);
 * const newParams = applyUpdates(params, updates);
 * tf.dispose([updates, params]); // and the old state's tensors: the caller owns them all
 * ```
 *
 * @param params the parameters (not modified)
 * @param updates one update per parameter, of the same shapes (not modified)
 * @returns new tensors p + u, one per parameter, owned by the caller
 * @throws ParamMismatchError synchronously, naming the parameter, when names or shapes differ
 * @see {@link sgd}, {@link chain}
 */
export function applyUpdates(params: Params, updates: Params): Params {
  checkSameParams('applyUpdates', updates, params, 'update');
  return tf.tidy(() => mapParams(params, (p, name) => tf.add(p, paramAt(updates, name, 'applyUpdates'))));
}
