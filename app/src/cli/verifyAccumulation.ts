import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom } from 'rxjs';
import { gradientSample, sgd, train, type Batch, type Loss, type Model, type Params } from 'gradstream';

/** One parameter's row of a {@link VerifyReport}. */
export interface VerifyRow {
  readonly param: string;
  readonly shape: ReadonlyArray<number>;
  /** max |accumulated update − full-batch update| / max |full-batch update|, for gradstream's update. */
  readonly accumulated: number;
  /** The same for a plain average of micro-batch means: the common bug, shown for contrast. */
  readonly meanOfMeans: number;
}

/** What {@link verifyAccumulation} found. */
export interface VerifyReport {
  /** Examples in each micro-batch, uneven on purpose. */
  readonly sizes: ReadonlyArray<number>;
  readonly rows: ReadonlyArray<VerifyRow>;
  /** The largest `accumulated` difference over all parameters. */
  readonly worst: number;
  /** The largest `meanOfMeans` difference over all parameters. */
  readonly worstMeanOfMeans: number;
}

const mapParams = (params: Params, f: (p: tf.Tensor, name: string) => tf.Tensor): Params =>
  Object.fromEntries(Object.entries(params).map(([name, p]) => [name, f(p, name)]));

/** max |a − b| / max |b|, one number per parameter; 0 when b is all zeros and a equals it. */
function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))), tf.max(tf.abs(b))]) as [tf.Tensor, tf.Tensor];
  const d = diff.dataSync()[0]!;
  const s = scale.dataSync()[0]!;
  tf.dispose([diff, scale]);
  return s === 0 ? (d === 0 ? 0 : Number.POSITIVE_INFINITY) : d / s;
}

/**
 * The library's core claim, checked on real data: from the same parameters, one update accumulated from
 * micro-batches of uneven sizes equals one update on the whole batch. Both updates are made by
 * {@link train} with `sgd({ learningRate: 1 })`, so an update is exactly minus the gradient it used and no
 * optimizer normalisation can hide a wrongly scaled gradient (Adam's first step would). For contrast the
 * report also gives what a plain average of micro-batch means would have produced.
 *
 * ## Example
 * ```ts
 * const report = await verifyAccumulation(model, losses.softmaxCrossEntropy, batch, unevenSizes(256, 8, 42));
 * console.log(report.worst <= 1e-5, report.worstMeanOfMeans); // true, ~1e-2
 * ```
 *
 * @param model the model; its params are the common starting point (not disposed)
 * @param loss a per-example loss
 * @param batch the whole batch (not disposed: the caller owns it)
 * @param sizes the micro-batch sizes, summing to the batch's examples
 * @returns the per-parameter differences
 */
export async function verifyAccumulation(model: Model, loss: Loss, batch: Batch, sizes: ReadonlyArray<number>): Promise<VerifyReport> {
  const slices = (): Batch[] => {
    let start = 0;
    return sizes.map((size) => {
      const part = tf.tidy(() => ({ xs: batch.xs.slice(start, size), ys: batch.ys.slice(start, size) }));
      start += size;
      return part;
    });
  };
  const copy = (): Batch => tf.tidy(() => ({ xs: batch.xs.clone(), ys: batch.ys.clone() }));
  const updateFrom = async (batches: Batch[]): Promise<Params> => {
    const step = await lastValueFrom(
      from(batches).pipe(train({ model, loss, optimizer: sgd({ learningRate: 1 }), accumulationSteps: batches.length })),
    );
    const update = tf.tidy(() => mapParams(step.params, (p, name) => tf.sub(p, model.params[name]!)));
    // Plain sgd keeps no tensors in its state: the params are all there is to free.
    tf.dispose(step.params);
    return update;
  };

  const whole = await updateFrom([copy()]);
  const accumulated = await updateFrom(slices());
  // The common bug: each micro-batch's mean gradient, then their plain average.
  const meanOfMeans = tf.tidy(() => {
    const means = slices().map((part) => {
      const sample = gradientSample(model, loss, model.params, part);
      tf.dispose([part.xs, part.ys, sample.loss]);
      return mapParams(sample.grads, (g) => tf.div(g, sample.count));
    });
    return mapParams(means[0]!, (_, name) => tf.neg(tf.div(tf.addN(means.map((m) => m[name]!)), means.length)));
  });

  const rows = Object.keys(whole).map((param) => ({
    param,
    shape: whole[param]!.shape,
    accumulated: relativeDifference(accumulated[param]!, whole[param]!),
    meanOfMeans: relativeDifference(meanOfMeans[param]!, whole[param]!),
  }));
  tf.dispose([whole, accumulated, meanOfMeans]);
  return {
    sizes,
    rows,
    worst: Math.max(...rows.map((r) => r.accumulated)),
    worstMeanOfMeans: Math.max(...rows.map((r) => r.meanOfMeans)),
  };
}
