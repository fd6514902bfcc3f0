import * as tf from '@tensorflow/tfjs';
import type { WindowSample } from '../../accumulate/internal/windowTypes.js';
import { ParamMismatchError } from '../../errors/ParamMismatchError.js';
import type { Params } from '../../params/types.js';

/**
 * The edge between tfjs's optimizer API and gradstream's one window (`lib/accumulate`): tfjs hands an
 * optimizer a list of gradients, some of them null, under variable names that change between copies of
 * a model; the window sums named gradient samples. What is here only translates and checks; the
 * running sum is the window's.
 */

/** A gradient as tfjs optimizers receive it: a variable name and its gradient (null when there is none). */
export interface NamedGradient {
  readonly name: string;
  readonly tensor: tf.Tensor | null;
}

/** What tfjs optimizers take: a map of gradients by name, or a list of `{ name, tensor }`. */
export type VariableGradients = Parameters<tf.Optimizer['applyGradients']>[0];

/** One `{ name, tensor }` entry, as `getWeights` returns them. */
export type NamedTensor = Extract<VariableGradients, ReadonlyArray<unknown>>[number];

/** The gradients tfjs passes to `applyGradients` (a map or a list), as a list in their order. */
export function namedGradients(variableGradients: VariableGradients): NamedGradient[] {
  if (Array.isArray(variableGradients)) return variableGradients.map(({ name, tensor }) => ({ name, tensor: tensor ?? null }));
  return Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor: tensor ?? null }));
}

/**
 * A batch as a sample of the window: a batch of `weight` examples whose mean gradient is g is a sample
 * with gradient `weight`·g and count `weight` (an unsized batch weighs 1), so the window's count-weighted
 * mean is the size-weighted mean over the batches. Variables with a null gradient have no entry. The
 * tensors are new and kept out of any enclosing `tf.tidy` (applyGradients runs inside the one `model.fit`
 * opens per batch, and the window outlives it); the given gradients are neither kept nor disposed.
 */
export function batchSample(grads: ReadonlyArray<NamedGradient>, weight: number): WindowSample {
  const weighted: Record<string, tf.Tensor> = {};
  for (const { name, tensor } of grads)
    if (tensor !== null) weighted[name] = tf.keep(tf.tidy(() => (weight === 1 ? tf.clone(tensor) : tf.mul(tensor, weight))));
  return { grads: weighted, count: weight, examples: weight };
}

/**
 * Checks that a batch's gradients fit the open window's sum (`undefined` while the window is empty): the
 * same variables as the batches before it, each with the shape of its sum. Pure; throws before anything
 * is changed, in the terms of tfjs's variables, which the window's own check would not use.
 */
export function checkFits(fn: string, sum: Params | undefined, grads: ReadonlyArray<NamedGradient>): void {
  if (sum === undefined) return;
  const present = grads.filter((g) => g.tensor !== null).map((g) => g.name);
  const summed = Object.keys(sum);
  for (const name of present) {
    const s = sum[name];
    if (s === undefined)
      throw new ParamMismatchError(fn, name, 'has a gradient in this batch but none in the earlier batches of the window', summed);
    const shape = grads.find((g) => g.name === name)?.tensor?.shape ?? [];
    if (shape.length !== s.shape.length || shape.some((d, i) => d !== s.shape[i]))
      throw new ParamMismatchError(fn, name, `gradient shape [${shape.join(', ')}] differs from the window's [${s.shape.join(', ')}]`, shape);
  }
  const missing = summed.find((name) => !present.includes(name));
  if (missing !== undefined) throw new ParamMismatchError(fn, missing, 'has no gradient in this batch but had one earlier in the window', present);
}

/**
 * A restored window's sum bound, by position, to the variables of a batch's gradients: variable names
 * differ between two copies of a model (tfjs numbers them per process), so a saved window is matched to
 * the variables in the order the gradients come, as tfjs's own optimizers restore their weights. Pure:
 * the same tensors under new names. Throws, changing nothing, when the count or a shape differs.
 */
export function rebind(fn: string, sum: Params, grads: ReadonlyArray<NamedGradient>): Params {
  const present = grads.filter((g): g is { name: string; tensor: tf.Tensor } => g.tensor !== null);
  const saved = Object.values(sum);
  if (present.length !== saved.length)
    throw new ParamMismatchError(fn, present[saved.length]?.name ?? Object.keys(sum)[present.length] ?? '?', `the restored window holds ${saved.length} sums for ${present.length} variables`, present.map((g) => g.name));
  const bound: Record<string, tf.Tensor> = {};
  present.forEach(({ name, tensor }, i) => {
    const s = saved[i]!;
    if (s.shape.length !== tensor.shape.length || s.shape.some((d, k) => d !== tensor.shape[k]))
      throw new ParamMismatchError(fn, name, `the restored sum has shape [${s.shape.join(', ')}], the gradient [${tensor.shape.join(', ')}]`, s.shape);
    bound[name] = s;
  });
  return bound;
}
