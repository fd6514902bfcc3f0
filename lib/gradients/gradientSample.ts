import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../batch/types.js';
import { missingKernelError } from '../internal/missingKernelError.js';
import { BatchError } from '../errors/BatchError.js';
import { MissingGradientError } from '../errors/MissingGradientError.js';
import { ShapeMismatchError } from '../errors/ShapeMismatchError.js';
import type { Loss, Model } from '../models/types.js';
import type { Params } from '../params/types.js';
import type { GradientSample } from './types.js';

const FN = 'gradientSample';

/**
 * One micro-batch to one {@link GradientSample}: the forward pass of `model` under `params`, the loss
 * summed over the micro-batch's items, and its gradient with respect to every parameter. The one place
 * in gradstream that differentiates.
 *
 * ## Example
 * ```ts
 * const model: Model = { params: { w: tf.tensor2d([[1], [2]]) }, apply: (p, xs) => tf.matMul(xs, p.w!) };
 * const sample = gradientSample(model, losses.meanSquaredError, model.params, {
 *   xs: tf.tensor2d([[1, 1]]),
 *   ys: tf.tensor2d([[0]]),
 * });
 * console.log(sample.count, sample.loss.dataSync()); // 1, [9]
 * ```
 *
 * @param model the model; `apply` is called once, with `params` and `{ training: true }`
 * @param loss per-example losses (shape `[examples]`) or `{ sum, count }`; of the tensors it returns, only
 *   those it made during this call are freed (a `count` or `sum` the caller keeps across calls is left alone)
 * @param params the parameters to differentiate at (not disposed, not kept)
 * @param batch the micro-batch (not disposed: the caller owns it)
 * @returns a new sample, owned by the caller
 * @throws {BatchError} when `xs` and `ys` count different examples, or none
 * @throws {ShapeMismatchError} when predictions and labels count different examples, or a per-example
 *   loss does not have shape `[examples]`
 * @throws {MissingGradientError} when the loss does not depend on a parameter
 * @throws {KernelNotRegisteredError} when the backend lacks a kernel the forward or backward pass needs,
 *   naming a fix. On wasm, a Conv2D model needs the `Conv2DBackpropFilter` kernel that tfjs-backend-wasm
 *   4.22 lacks: call `useWasmConvGradients` from `gradstream/wasm` first.
 */
export function gradientSample(model: Model, loss: Loss, params: Params, batch: Batch): GradientSample {
  const invalid = BatchError.checkBatch(FN, batch);
  if (invalid) throw invalid;
  const examples = batch.xs.shape[0] as number;
  const names = Object.keys(params);
  let count = examples;
  let forward: tf.Tensor | undefined;

  const { value, grads } = withTapeCleanup(
    () => tf.engine().gradients(
    () => {
      const predictions = model.apply(params, batch.xs, { training: true });
      if (predictions.shape[0] !== examples)
        throw new ShapeMismatchError(FN, `predictions and labels (${examples} examples)`, batch.ys.shape, predictions.shape, ['predictions', 'labels']);
      const out = loss(batch.ys, predictions);
      if (out instanceof tf.Tensor) {
        if (out.rank !== 1 || out.shape[0] !== examples)
          throw new ShapeMismatchError(FN, 'per-example losses and the micro-batch', [examples], out.shape);
        return (forward = tf.sum(out));
      }
      if (out.sum.rank !== 0) throw new ShapeMismatchError(FN, 'the loss sum and a scalar', [], out.sum.shape);
      // Read a tensor count here, inside the forward pass's tidy, which frees it if the loss made it and
      // leaves it alone if it is the caller's (a count fixed for the whole run, say).
      count = typeof out.count === 'number' ? out.count : (out.count.dataSync()[0] as number);
      // A copy (it shares the data, and its gradient is the identity), so that the sample's loss, which is
      // freed once added, is never a tensor the caller owns.
      return (forward = tf.clone(out.sum));
    },
    names.map((name) => params[name] as tf.Tensor),
    undefined,
    true,
    ),
    // The backward pass failed (an op without a gradient, say): the loss outlived the forward pass's
    // tidy, and is ours to free.
    () => forward?.dispose(),
  );

  const named: Record<string, tf.Tensor> = {};
  let missing: string | undefined;
  names.forEach((name, i) => {
    const g = grads[i];
    if (g) named[name] = g;
    else missing ??= name;
  });
  if (missing !== undefined) {
    value.dispose();
    for (const g of Object.values(named)) g.dispose();
    throw new MissingGradientError(FN, missing);
  }
  return { grads: named, loss: value as tf.Scalar, count, examples };
}

/**
 * Runs a top-level `gradients` call and, when its forward pass throws (a shape error in a loss, say),
 * frees the tensors the tape saved for the backward pass. tfjs frees them only after a successful
 * backward pass (engine.ts `gradients`), so without this every failed micro-batch would leak them.
 */
function withTapeCleanup<T>(run: () => T, onError: () => void): T {
  const engine = tf.engine();
  const topLevel = engine.state.gradientDepth === 0;
  try {
    return run();
  } catch (error) {
    const tape = engine.state.activeTape as ReadonlyArray<{ saved?: ReadonlyArray<tf.Tensor> }> | null;
    if (topLevel && tape) {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      (engine.state as { activeTape: unknown }).activeTape = null;
    }
    onError();
    // tfjs's "Kernel 'X' not registered" becomes a typed error that names the fix.
    throw missingKernelError(FN, error) ?? error;
  }
}
