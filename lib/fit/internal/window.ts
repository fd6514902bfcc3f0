import * as tf from '@tensorflow/tfjs';
import { ParamMismatchError } from '../../errors/ParamMismatchError.js';

/**
 * The open accumulation window of an accumulating tfjs optimizer, as a plain value: the size-weighted
 * running sum of each variable's gradient and what it holds. One sum per variable whatever `steps` is.
 */
export interface WindowState {
  /** Σ size·gradient per variable name (variables whose gradients were all null have no entry). */
  readonly sums: Readonly<Record<string, tf.Tensor>>;
  /** Batches added since the last update. */
  readonly batches: number;
  /** Σ of their weights: their sizes in examples, or their number when no size was reported. */
  readonly examples: number;
  /** Whether the window's batches carry reported sizes; undefined while the window is empty. */
  readonly sized: boolean | undefined;
}

/** A gradient as tfjs optimizers receive it: a variable name and its gradient (null when there is none). */
export interface NamedGradient {
  readonly name: string;
  readonly tensor: tf.Tensor | null;
}

/** What tfjs optimizers take: a map of gradients by name, or a list of `{ name, tensor }`. */
export type VariableGradients = Parameters<tf.Optimizer['applyGradients']>[0];

/** One `{ name, tensor }` entry, as `getWeights` returns them. */
export type NamedTensor = Extract<VariableGradients, ReadonlyArray<unknown>>[number];

export const emptyWindow: WindowState = { sums: {}, batches: 0, examples: 0, sized: undefined };

/** The gradients tfjs passes to `applyGradients` (a map or a list), as a list in their order. */
export function namedGradients(variableGradients: VariableGradients): NamedGradient[] {
  if (Array.isArray(variableGradients)) return variableGradients.map(({ name, tensor }) => ({ name, tensor: tensor ?? null }));
  return Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor: tensor ?? null }));
}

/**
 * Checks that a batch's gradients fit the window: the same variables as the batches before it, each with
 * the shape of its sum. Pure; throws before anything is changed.
 */
export function checkFits(fn: string, window: WindowState, grads: ReadonlyArray<NamedGradient>): void {
  if (window.batches === 0) return;
  const present = grads.filter((g) => g.tensor !== null).map((g) => g.name);
  const summed = Object.keys(window.sums);
  for (const name of present) {
    const sum = window.sums[name];
    if (sum === undefined)
      throw new ParamMismatchError(fn, name, 'has a gradient in this batch but none in the earlier batches of the window', summed);
    const shape = grads.find((g) => g.name === name)?.tensor?.shape ?? [];
    if (shape.length !== sum.shape.length || shape.some((d, i) => d !== sum.shape[i]))
      throw new ParamMismatchError(fn, name, `gradient shape [${shape.join(', ')}] differs from the window's [${sum.shape.join(', ')}]`, shape);
  }
  const missing = summed.find((name) => !present.includes(name));
  if (missing !== undefined) throw new ParamMismatchError(fn, missing, 'has no gradient in this batch but had one earlier in the window', present);
}

/**
 * Adds one batch's gradients, weighted by `weight`, to the window. Pure: returns a new state whose sums are
 * new tensors, kept out of any enclosing `tf.tidy` (owned by the caller); the given window's sums and the gradients are neither kept nor disposed.
 */
export function addBatch(window: WindowState, grads: ReadonlyArray<NamedGradient>, weight: number, sized: boolean): WindowState {
  const sums: Record<string, tf.Tensor> = {};
  for (const { name, tensor } of grads) {
    if (tensor === null) continue;
    const previous = window.sums[name];
    // Kept: applyGradients runs inside the tidy model.fit opens per batch, and the sums must outlive it.
    sums[name] = tf.keep(
      tf.tidy(() => {
        const weighted = weight === 1 ? tf.clone(tensor) : tf.mul(tensor, weight);
        return previous === undefined ? weighted : tf.add(previous, weighted);
      }),
    );
  }
  return { sums, batches: window.batches + 1, examples: window.examples + weight, sized };
}

/**
 * The window's gradient, Σ size·gradient / Σ size per variable, in the order of `names` (a variable with no
 * sum gets null, as tfjs optimizers expect). New tensors owned by the caller.
 */
export function windowMean(window: WindowState, names: ReadonlyArray<string>): NamedGradient[] {
  return names.map((name) => {
    const sum = window.sums[name];
    return { name, tensor: sum === undefined ? null : tf.div(sum, window.examples) };
  });
}

/**
 * A restored window's sums bound, by position, to the variables of a batch's gradients: variable names
 * differ between two copies of a model (tfjs numbers them per process), so a saved window is matched to
 * the variables in the order the gradients come, as tfjs's own optimizers restore their weights. Pure:
 * the sums are the same tensors under new names. Throws, changing nothing, when the count or a shape differs.
 */
export function rebind(fn: string, window: WindowState, grads: ReadonlyArray<NamedGradient>): WindowState {
  const present = grads.filter((g): g is { name: string; tensor: tf.Tensor } => g.tensor !== null);
  const saved = Object.values(window.sums);
  if (present.length !== saved.length)
    throw new ParamMismatchError(fn, present[saved.length]?.name ?? Object.keys(window.sums)[present.length] ?? '?', `the restored window holds ${saved.length} sums for ${present.length} variables`, present.map((g) => g.name));
  const sums: Record<string, tf.Tensor> = {};
  present.forEach(({ name, tensor }, i) => {
    const sum = saved[i]!;
    if (sum.shape.length !== tensor.shape.length || sum.shape.some((d, k) => d !== tensor.shape[k]))
      throw new ParamMismatchError(fn, name, `the restored sum has shape [${sum.shape.join(', ')}], the gradient [${tensor.shape.join(', ')}]`, sum.shape);
    sums[name] = sum;
  });
  return { ...window, sums };
}
