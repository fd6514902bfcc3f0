/**
 * Case 3, against model.fit: examples per second of train() (micro-batch 32 × 8 = 256 per update)
 * against `tf.LayersModel.fit` at batch 256, what a tfjs user does today without accumulation. Same
 * model (two instances, same seed), same pre-made tensors of real digits (fit slices them into batches;
 * train() is given the same 256-example slices), Adam with the same hyper-parameters (fit's is
 * tf.train.adam, train()'s gradstream's adam). Alternated side by side.
 */
import * as tf from '@tensorflow/tfjs';
import { range, map } from 'rxjs';
import type { Examples } from '../../lib/data/types.js';
import { pickFirst } from '../internal/examples.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { alternate, type AlternateOptions, ratio } from '../internal/alternate.js';
import { EPSILON, inputShape, LEARNING_RATE, makeLayers, type ModelName, runTrain } from '../internal/fixtures.js';
import { type Summary, summarize } from '../internal/stats.js';

export interface FitResult {
  readonly backend: string;
  readonly model: ModelName;
  readonly examplesPerIteration: number;
  /** Examples per second, median over rounds, with the spread. */
  readonly trainExamplesPerSecond: Summary;
  readonly fitExamplesPerSecond: Summary;
  /** train() speed over fit speed (> 1: train() is faster). */
  readonly speedRatio: Summary;
}

const BATCH = 256;

export async function fitComparison(
  backend: string,
  examples: Examples,
  name: ModelName,
  batches: number,
  timing: AlternateOptions,
): Promise<FitResult> {
  const count = batches * BATCH;
  const chosen = pickFirst(examples, count);
  const xs = tf.tensor(chosen.images, [count, ...inputShape(name)]);
  const ys = tf.tensor2d(chosen.labels, [count, chosen.classes]);
  const fitLayers = makeLayers(name);
  fitLayers.compile({
    optimizer: tf.train.adam(LEARNING_RATE, 0.9, 0.999, EPSILON),
    loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits),
  });
  const trainLayers = makeLayers(name);
  const model = fromLayersModel(trainLayers);
  const slices = () =>
    range(0, batches).pipe(
      map((b) => ({ xs: tf.slice(xs, b * BATCH, BATCH), ys: tf.slice(ys, b * BATCH, BATCH) })),
    );
  try {
    const [t, f] = await alternate(
      [
        { name: 'train() 32x8', fn: () => runTrain(model, slices(), 8, 32) },
        {
          name: 'model.fit 256',
          fn: async () => {
            await fitLayers.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
          },
        },
      ],
      timing,
    );
    const perSecond = (ms: ReadonlyArray<number>) => summarize(ms.map((m) => (count / m) * 1000));
    return {
      backend,
      model: name,
      examplesPerIteration: count,
      trainExamplesPerSecond: perSecond(t!.roundMedians),
      fitExamplesPerSecond: perSecond(f!.roundMedians),
      speedRatio: ratio(f!, t!),
    };
  } finally {
    tf.dispose([xs, ys]);
    fitLayers.dispose();
    trainLayers.dispose();
  }
}
