/**
 * Helpers over named tensor maps ({@link Params}) and over state trees (plain values of numbers, tensors,
 * arrays and objects).
 *
 * Owned by the optimizer library (lib/optim); shared on purpose with the accumulator, the training loop
 * and the monitor, which reuse `mapParams`, `checkSameParams`, `globalNorm` and `disposeTree`. Not part of
 * the public surface: `lib/index.ts` does not re-export them. Change their contracts only with lib/optim.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamMismatchError } from '../errors/ParamMismatchError.js';
import type { Params } from '../optim/types.js';

/**
 * A new map with `f` applied to every named tensor, names in the same order.
 *
 * Ownership: `f` decides; `mapParams` makes no tensor itself. Call it inside `tf.tidy` when `f` makes
 * intermediates.
 *
 * @param params the map to walk (not modified)
 * @param f the function of each tensor and its name
 * @returns a new map holding what `f` returned
 */
export function mapParams(params: Params, f: (tensor: tf.Tensor, name: string) => tf.Tensor): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(params)) out[name] = f(params[name] as tf.Tensor, name);
  return out;
}

/**
 * The tensor named `name` in `map`, which {@link checkSameParams} has shown to exist.
 *
 * @throws ParamMismatchError if it does not (a broken invariant, reported rather than read as `undefined`)
 */
export function paramAt(map: Params, name: string, fn = 'paramAt'): tf.Tensor {
  const t = map[name];
  if (t === undefined) throw new ParamMismatchError(fn, name, 'missing from a state or update map', Object.keys(map));
  return t;
}

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Throws unless `tensors` has exactly the names of `params`, each with the parameter's shape.
 *
 * Synchronous and tensor-free: call it first, so that a mismatch is reported before any tensor is made.
 *
 * @param fn the function to name in the error, e.g. `adam.update`
 * @param tensors the gradients (or updates) to check
 * @param params the parameters they must match
 * @param what what `tensors` are, for the message (`gradient`, `update`)
 * @throws ParamMismatchError naming the first parameter that is missing, extra or of another shape
 */
export function checkSameParams(fn: string, tensors: Params, params: Params, what = 'gradient'): void {
  for (const name of Object.keys(params)) {
    const t = tensors[name];
    if (t === undefined) throw new ParamMismatchError(fn, name, `no ${what} for this parameter`, Object.keys(tensors));
    const p = params[name] as tf.Tensor;
    if (!sameShape(t.shape, p.shape)) {
      throw new ParamMismatchError(
        fn,
        name,
        `${what} shape [${t.shape.join(', ')}] differs from parameter shape [${p.shape.join(', ')}]`,
        t.shape,
      );
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!(name in params)) throw new ParamMismatchError(fn, name, `${what} for an unknown parameter`, Object.keys(params));
  }
}

/**
 * The global L2 norm of a map, √(Σ over every tensor of Σ x²), as a new scalar tensor owned by the caller.
 *
 * @param tensors the map (not modified)
 * @returns a float32 scalar; 0 for an empty map
 */
export function globalNorm(tensors: Params): tf.Scalar {
  return tf.tidy(() => {
    const squares = Object.values(tensors).map((t) => tf.sum(tf.square(t)));
    return squares.length === 0 ? tf.scalar(0) : (tf.sqrt(tf.addN(squares)) as tf.Scalar);
  });
}

/**
 * Every tensor inside a state tree (nested arrays and plain objects of numbers and tensors), in order.
 *
 * @param value a state, a map or any plain value
 * @returns the tensors it holds (not copies)
 */
export function tensorsIn(value: unknown): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

/**
 * Disposes every tensor inside a state tree: what the owner of a state calls once it has the next one.
 *
 * @param value a state, a map or any plain value; numbers and other leaves are left alone
 */
export function disposeTree(value: unknown): void {
  for (const t of tensorsIn(value)) t.dispose();
}

/**
 * `tf.tidy` for a function returning any state tree: keeps the tensors it returns, disposes the rest, also
 * when the function throws.
 */
export function tidyTree<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
