/**
 * What the bench cases share: the MNIST data through the project's loader, the three models, a train()
 * run and the hand-written tfjs loop it is compared with.
 */
import * as tf from '@tensorflow/tfjs';
import { bufferCount, map, type Observable, take } from 'rxjs';
import type { Batch } from '../../lib/batch/types.js';
import { shuffledBatches } from '../../lib/data/shuffledBatches.js';
import type { Examples } from '../../lib/data/types.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { disposeTree, tidyTree } from '../../lib/internal/tensorMaps.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { mnistCnn } from '../../app/src/models/mnistCnn.js';
import { mnistMlp } from '../../app/src/models/mnistMlp.js';
import type { Model } from '../../lib/models/types.js';
import { adam } from '../../lib/optim/adam.js';
import { applyUpdates } from '../../lib/optim/applyUpdates.js';
import type { Params } from '../../lib/params/types.js';
import { train } from '../../lib/train/train.js';

export const SEED = 42;
export const MICRO_BATCH = 32;
export const LEARNING_RATE = 1e-3;
/** tf.train.adam's epsilon, so that every side of every case does the same Adam arithmetic. */
export const EPSILON = 1e-7;

export type ModelName = 'mlp-128' | 'mlp-256' | 'cnn';
export const MODELS: ReadonlyArray<ModelName> = ['mlp-128', 'mlp-256', 'cnn'];

/** A new Layers model (same seed, same initial weights), made on the current backend. */
export function makeLayers(name: ModelName): tf.Sequential {
  if (name === 'cnn') return mnistCnn({ seed: SEED });
  return mnistMlp({ seed: SEED, hiddenUnits: name === 'mlp-128' ? 128 : 256 });
}

export const inputShape = (name: ModelName): ReadonlyArray<number> => (name === 'cnn' ? [28, 28, 1] : [784]);

/**
 * `count` micro-batches of real digits, made lazily (one at a time, as they are taken) by the project's
 * `shuffledBatches`: both sides of a comparison read their data from this same source.
 */
export function microBatchSource(examples: Examples, name: ModelName, count: number, epoch = 0): Observable<Batch> {
  return shuffledBatches({ examples, batchSize: MICRO_BATCH, seed: SEED, epoch, inputShape: inputShape(name) }).pipe(take(count));
}

export const optimizer = () => adam({ learningRate: LEARNING_RATE, epsilon: EPSILON });

/**
 * Runs train() over `source` with `accumulationSteps`, synchronously (the source is synchronous), and
 * frees what the last step left to the caller.
 *
 * @returns the number of updates made
 */
export function runTrain(model: Model, source: Observable<Batch>, accumulationSteps: number, microBatchSize?: number): number {
  let last: { state: unknown; step: number } | undefined;
  // The source is synchronous: the stream has ended when subscribe returns. Rethrow its error here, where
  // the bench can see it (RxJS would report an error thrown in a callback asynchronously).
  let failure: { error: unknown } | undefined;
  source
    .pipe(
      train({
        model,
        loss: softmaxCrossEntropy,
        optimizer: optimizer(),
        accumulationSteps,
        ...(microBatchSize === undefined ? {} : { microBatchSize }),
      }),
    )
    .subscribe({ next: (step) => (last = step), error: (error: unknown) => (failure = { error }) });
  if (last) disposeTree(last.state);
  if (failure) throw failure.error;
  return last?.step ?? 0;
}

/**
 * The skilled hand-written tfjs loop that train() is measured against: per micro-batch one
 * `tf.variableGrads` of the summed loss over the model's own variables, a running sum of the gradients
 * (the old sum disposed at once), and per window of `n` micro-batches one Adam step, assigned into the
 * variables, and one read of the window's loss (what any loop logs).
 *
 * Adam is gradstream's pure `adam` transform, the very arithmetic train() runs: the comparison then
 * measures only what train() adds around it (splitting, accumulating, checks, bookkeeping), not two
 * Adam implementations. Its cost per update is a few elementwise ops per parameter, the same on both sides.
 *
 * @returns the number of updates made
 */
export function runHandLoop(layers: tf.LayersModel, source: Observable<Batch>, n: number): number {
  const variables = layers.trainableWeights.map((w) => w.read() as tf.Variable);
  const params: Params = Object.fromEntries(variables.map((v) => [v.name, v]));
  const opt = optimizer();
  let state = opt.init(params);
  let sum: Record<string, tf.Tensor> | undefined;
  let lossSum: tf.Scalar | undefined;
  let count = 0;
  let inWindow = 0;
  let updates = 0;
  const step = (batch: Batch): void => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(softmaxCrossEntropy(batch.ys, layers.apply(batch.xs, { training: true }) as tf.Tensor)) as tf.Scalar,
      variables,
    );
    count += batch.xs.shape[0] as number;
    tf.dispose([batch.xs, batch.ys]);
    if (sum === undefined || lossSum === undefined) {
      sum = grads;
      lossSum = value;
    } else {
      const [previous, previousLoss] = [sum, lossSum];
      sum = tf.tidy(() => Object.fromEntries(Object.entries(previous).map(([k, g]) => [k, tf.add(g, grads[k] as tf.Tensor)])));
      lossSum = tf.tidy(() => tf.add(previousLoss, value)) as tf.Scalar;
      tf.dispose([previous, previousLoss, grads, value]);
    }
    inWindow += 1;
    if (inWindow < n) return;
    const total = count;
    const window = sum;
    void ((lossSum.dataSync()[0] as number) / total);
    const next = tidyTree(() => {
      const mean = Object.fromEntries(Object.entries(window).map(([k, g]) => [k, tf.div(g, total)]));
      const [updates, nextState] = opt.update(mean, state, params);
      for (const v of variables) v.assign(tf.add(v, updates[v.name] as tf.Tensor));
      return nextState;
    });
    disposeTree(state);
    state = next;
    tf.dispose([window, lossSum]);
    sum = undefined;
    lossSum = undefined;
    count = 0;
    inWindow = 0;
    updates += 1;
  };
  // A plain loop over the same lazy source (synchronous): a throw in `next` would reach no one, so catch it.
  let failure: { error: unknown } | undefined;
  source.subscribe((batch) => {
    if (failure) return tf.dispose([batch.xs, batch.ys]);
    try {
      step(batch);
    } catch (error) {
      failure = { error };
    }
  });
  tf.dispose([sum ?? {}, lossSum ?? []]);
  disposeTree(state);
  if (failure) throw failure.error;
  return updates;
}

/**
 * What one would write without gradstream's running sum: `bufferCount(n)` of gradient maps, summed at the
 * end of the window with `addN`, then the same Adam update. Holds n gradient maps at the window's end.
 */
export function runNaive(model: Model, source: Observable<Batch>, n: number): void {
  const opt = optimizer();
  const state = opt.init(model.params);
  let failure: { error: unknown } | undefined;
  source
    .pipe(
      map((batch) => {
        const sample = gradientSample(model, softmaxCrossEntropy, model.params, batch);
        tf.dispose([batch.xs, batch.ys, sample.loss]);
        return { grads: sample.grads, count: sample.count };
      }),
      bufferCount(n),
      map((window) => {
        const total = window.reduce((c, s) => c + s.count, 0);
        const mean = tf.tidy(() =>
          Object.fromEntries(Object.keys(model.params).map((k) => [k, tf.div(tf.addN(window.map((s) => s.grads[k] as tf.Tensor)), total)])),
        );
        disposeTree(window.map((s) => s.grads));
        const [updates, next] = opt.update(mean, state, model.params);
        const params = applyUpdates(model.params, updates);
        disposeTree([mean, updates, next, params]);
      }),
    )
    .subscribe({ error: (error: unknown) => (failure = { error }) });
  disposeTree(state);
  if (failure) throw failure.error;
}

/** The model's trainable weights, disposed with the model. */
export function disposeLayers(layers: tf.LayersModel): void {
  layers.dispose();
}
