import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, map, type Observable, toArray } from 'rxjs';
import type { Batch } from '../../lib/batch/types.js';
import type { Loss, Model } from '../../lib/models/types.js';
import type { Params } from '../../lib/params/types.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import type { TrainStep } from '../../lib/train/types.js';

/** A deterministic pseudo-random Float32Array (mulberry32), so fixtures need no tf randomness. */
export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** A small two-layer tanh network as a pure function of its params: d inputs, h hidden, k outputs. */
export function mlp(d: number, h: number, k: number, seed = 1): Model {
  const params: Params = {
    w1: tf.tensor2d(randomValues(d * h, seed, 0.5), [d, h]),
    b1: tf.tensor1d(randomValues(h, seed + 1, 0.1)),
    w2: tf.tensor2d(randomValues(h * k, seed + 2, 0.5), [h, k]),
    b2: tf.tensor1d(randomValues(k, seed + 3, 0.1)),
  };
  return {
    params,
    apply: (p, xs) =>
      tf.tidy(() => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(xs, p['w1']!), p['b1']!)), p['w2']!), p['b2']!)),
  };
}

/** A linear model y = x·w + b. */
export function linear(d: number, k: number, seed = 1): Model {
  const params: Params = {
    w: tf.tensor2d(randomValues(d * k, seed, 0.5), [d, k]),
    b: tf.tensor1d(randomValues(k, seed + 1, 0.1)),
  };
  return { params, apply: (p, xs) => tf.tidy(() => tf.add(tf.matMul(xs, p['w']!), p['b']!)) };
}

/** Plain values of a batch, from which fresh tensors can be made as often as needed. */
export interface BatchData {
  readonly xs: Float32Array;
  readonly ys: Float32Array;
  readonly xShape: ReadonlyArray<number>;
  readonly yShape: ReadonlyArray<number>;
}

export function batchData(n: number, d: number, k: number, seed: number): BatchData {
  return { xs: randomValues(n * d, seed), ys: randomValues(n * k, seed + 7), xShape: [n, d], yShape: [n, k] };
}

/** Fresh tensors for examples [start, end) of `data`. */
export function toBatch(data: BatchData, start = 0, end = data.xShape[0] as number): Batch {
  const [n, ...xRest] = data.xShape as [number, ...number[]];
  const [, ...yRest] = data.yShape as [number, ...number[]];
  const xw = data.xs.length / n;
  const yw = data.ys.length / n;
  return {
    xs: tf.tensor(data.xs.slice(start * xw, end * xw), [end - start, ...xRest]),
    ys: tf.tensor(data.ys.slice(start * yw, end * yw), [end - start, ...yRest]),
  };
}

/** Cuts `n` examples into consecutive parts of the given sizes. */
export function splitBatch(data: BatchData, sizes: ReadonlyArray<number>): Batch[] {
  const out: Batch[] = [];
  let start = 0;
  for (const size of sizes) {
    out.push(toBatch(data, start, start + size));
    start += size;
  }
  return out;
}

/** A cold source that makes each batch only when it is emitted (so memory holds one at a time). */
export function lazyBatches(make: ReadonlyArray<() => Batch>): Observable<Batch> {
  return from(make).pipe(map((m) => m()));
}

/** All emitted values of a finite observable. */
export const collect = <T>(source: Observable<T>): Promise<T[]> => lastValueFrom(source.pipe(toArray()));

/** The values of every tensor of a map, copied out. */
export function valuesOf(params: Params): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(params)) out[name] = t.dataSync() as Float32Array;
  return out;
}

/** max |a − b| / max |b| over all parameters: the relative error of a whole map. */
export function relativeError(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let diff = 0;
  let scale = 0;
  for (const [name, bv] of Object.entries(b)) {
    const av = a[name]!;
    for (let i = 0; i < bv.length; i++) {
      diff = Math.max(diff, Math.abs(av[i]! - bv[i]!));
      scale = Math.max(scale, Math.abs(bv[i]!));
    }
  }
  return diff / scale;
}

/** Mean squared error per example, as a plain Loss (no dependency on the built-in losses). */
export const mse: Loss = (labels, predictions) => tf.mean(tf.squaredDifference(labels, predictions), -1);

/** Frees what the caller owns after a run: the last step's params and optimizer state. */
export function disposeStep(step: TrainStep<unknown> | undefined): void {
  if (!step) return;
  disposeTree(step.params);
  disposeTree(step.state.optimizerState);
}
