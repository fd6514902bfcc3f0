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
import type { Params } from '../params/types.js';

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

/**
 * `f` applied to the tensors of `a` and `b` under each name of `a` (which `b` must have too).
 * Synchronous; run it inside `tf.tidy` to free the intermediates. Returns new tensors.
 */
export function zipParams(a: Params, b: Params, f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, x] of Object.entries(a)) out[name] = f(x, b[name] as tf.Tensor);
  return out;
}

/** Reads a scalar made by `make` (inside `tf.tidy`) and frees it. */
function readScalar(make: () => tf.Tensor): number {
  const t = tf.tidy(make);
  try {
    return t.dataSync()[0] as number;
  } finally {
    t.dispose();
  }
}

/** The global L2 norm of all tensors of a map, as a number (one read from the backend). */
export function globalNormOf(params: Params): number {
  return readScalar(() => globalNorm(params));
}

/**
 * The name of the first tensor that holds a NaN or an infinity, or `undefined` when all are finite.
 *
 * The common case costs one reduction per tensor and one read: the sum of every tensor's sum is finite
 * when every element is (a NaN or an infinity anywhere makes it non-finite). Only when it is not are the
 * tensors checked one by one, to name the culprit; a sum that merely overflowed names none.
 */
export function firstNonFinite(named: ReadonlyArray<readonly [string, tf.Tensor]>): string | undefined {
  if (named.length === 0) return undefined;
  if (Number.isFinite(readScalar(() => tf.addN(named.map(([, t]) => tf.sum(t)))))) return undefined;
  const flags = tf.tidy(() => tf.stack(named.map(([, t]) => tf.all(tf.isFinite(t)).cast('int32'))));
  try {
    const ok = flags.dataSync();
    const bad = ok.findIndex((v) => v !== 1);
    return bad < 0 ? undefined : named[bad]![0];
  } finally {
    flags.dispose();
  }
}
