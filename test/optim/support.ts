import * as tf from '@tensorflow/tfjs';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { applyUpdates } from '../../lib/optim/applyUpdates.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import type { Params } from '../../lib/params/types.js';

/** A deterministic stream of numbers in [-1, 1) (an LCG): the same gradients for both optimizers. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/** Plain arrays of the values of a map, by name. */
export const valuesOf = (m: Params): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m).map(([k, t]) => [k, Array.from(t.dataSync())]));

/** The number of tensors in updates and a state: what `update` must leave alive, and nothing more. */
export const countTensors = (...values: unknown[]): number => {
  let n = 0;
  const walk = (v: unknown): void => {
    if (v instanceof tf.Tensor) n++;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  values.forEach(walk);
  return n;
};

/**
 * Runs `steps` updates of `opt` from `params0` with gradients from `grads(step)`, and returns the final
 * parameters' values, disposing everything it made.
 */
export function runOptimizer<S>(
  opt: GradientTransformation<S>,
  params0: Record<string, number[][] | number[]>,
  grads: (step: number) => Record<string, number[][] | number[]>,
  steps: number,
): Record<string, number[]>[] {
  let params: Params = Object.fromEntries(Object.entries(params0).map(([k, v]) => [k, tf.tensor(v)]));
  let state = opt.init(params);
  const trajectory: Record<string, number[]>[] = [];
  for (let i = 0; i < steps; i++) {
    const g: Params = Object.fromEntries(Object.entries(grads(i)).map(([k, v]) => [k, tf.tensor(v)]));
    const [updates, next] = opt.update(g, state, params);
    const newParams = applyUpdates(params, updates);
    disposeTree([g, updates, state, params]);
    params = newParams;
    state = next;
    trajectory.push(valuesOf(params));
  }
  disposeTree([params, state]);
  return trajectory;
}

/** The same run with a `tf.train` optimizer on variables. */
export function runTfOptimizer(
  make: () => tf.Optimizer,
  params0: Record<string, number[][] | number[]>,
  grads: (step: number) => Record<string, number[][] | number[]>,
  steps: number,
): Record<string, number[]>[] {
  const optimizer = make();
  const unique = `${Math.random().toString(36).slice(2)}`;
  const vars = Object.fromEntries(
    Object.entries(params0).map(([k, v]) => [k, tf.tidy(() => tf.variable(tf.tensor(v), true, `${k}_${unique}`))]),
  );
  const trajectory: Record<string, number[]>[] = [];
  for (let i = 0; i < steps; i++) {
    const g = Object.fromEntries(Object.entries(grads(i)).map(([k, v]) => [`${k}_${unique}`, tf.tensor(v)]));
    optimizer.applyGradients(g);
    tf.dispose(Object.values(g));
    trajectory.push(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Array.from(v.dataSync())])));
  }
  optimizer.dispose();
  tf.dispose(Object.values(vars));
  return trajectory;
}

/**
 * The largest |a − b| / max(|b|, floor) over two trajectories. The floor exists because a parameter that
 * passes near zero has a relative error that means nothing: p + u computed in float32 carries an absolute
 * error of about one ulp of |p| and |u|, so near zero it is measured against the scale of the parameters.
 */
export function maxRelativeError(
  a: ReadonlyArray<Record<string, number[]>>,
  b: ReadonlyArray<Record<string, number[]>>,
  floor: number,
): number {
  let worst = 0;
  a.forEach((step, i) => {
    for (const [name, values] of Object.entries(step)) {
      const other = b[i]?.[name] ?? [];
      values.forEach((x, j) => {
        const y = other[j] as number;
        worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), floor));
      });
    }
  });
  return worst;
}
