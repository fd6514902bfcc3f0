import * as tf from '@tensorflow/tfjs';
import type { Params } from '../optim/types.js';

/** Disposes every tensor of a map. The caller must own them. */
export function disposeParams(params: Params): void {
  for (const t of Object.values(params)) t.dispose();
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

/** `f` applied to every tensor of `a`, under the same names. */
export function mapParamsWith(a: Params, f: (x: tf.Tensor, name: string) => tf.Tensor): Params {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, x] of Object.entries(a)) out[name] = f(x, name);
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
  const tensors = Object.values(params);
  if (tensors.length === 0) return 0;
  return readScalar(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))));
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
