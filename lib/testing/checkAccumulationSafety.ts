import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../batch/types.js';
import { BatchError } from '../errors/BatchError.js';
import { ConfigError } from '../errors/ConfigError.js';
import { gradientSample } from '../gradients/gradientSample.js';
import { batchCoupledLayers } from '../internal/batchCoupledLayers.js';
import type { BatchCoupledLayer } from '../models/types.js';
import type { LayersModelAdapter } from '../models/fromLayersModel.js';
import type { Loss, Model } from '../models/types.js';
import { splitKinds } from './internal/splitKinds.js';

/** Options of {@link checkAccumulationSafety}. */
export interface AccumulationSafetyOptions {
  /**
   * The largest relative difference taken as equal, default 1e-3: float32 rounding stays below 1e-5 on
   * small models, while batch coupling shows at 1e-2 and above.
   */
  readonly tolerance?: number;
  /** Splits to compare, each an array of micro-batch sizes summing to the batch's examples. Default: even, uneven, single examples. */
  readonly splits?: ReadonlyArray<ReadonlyArray<number>>;
  /** Seed of the default uneven split, default 42. */
  readonly seed?: number;
}

/** One parameter's row of a {@link SafetyReport}. */
export interface ParamDifference {
  readonly name: string;
  readonly shape: ReadonlyArray<number>;
  /** The largest relative difference over every split (see {@link SafetyReport.worst}). */
  readonly difference: number;
}

/** One split's row of a {@link SafetyReport}. */
export interface SplitDifference {
  readonly kind: 'even' | 'uneven' | 'single examples' | 'given';
  readonly sizes: ReadonlyArray<number>;
  /** The largest relative difference over every parameter for this split. */
  readonly worst: number;
}

/** What {@link checkAccumulationSafety} found. */
export interface SafetyReport {
  /** True when every split's accumulated gradient equals the full batch's within `tolerance`, and the model is deterministic. */
  readonly safe: boolean;
  /**
   * The largest relative difference: for a parameter p, max |accumulated − full| over p's values divided
   * by max |full| over p's values (floored at 1e-3 of the largest gradient value of any parameter, so a
   * parameter whose gradient is nearly zero is judged on the model's scale).
   */
  readonly worst: number;
  /** The tolerance used. */
  readonly tolerance: number;
  /** Examples in the batch. */
  readonly examples: number;
  readonly params: ReadonlyArray<ParamDifference>;
  readonly splits: ReadonlyArray<SplitDifference>;
  /** Relative difference between two full-batch gradients: above `tolerance`, the model is not deterministic. */
  readonly nondeterminism: number;
  /** Parameters whose difference exceeds the tolerance, worst first. */
  readonly diverging: ReadonlyArray<string>;
  /** Likely causes the check can see, when unsafe: layers by name, or the diverging parameters. */
  readonly causes: ReadonlyArray<string>;
  /** Batch-coupled layers of a Layers model (found whether or not it is safe). */
  readonly batchCoupledLayers: ReadonlyArray<BatchCoupledLayer>;
}

const FN = 'checkAccumulationSafety';

/** Layers that draw new random values for each call in training. */
const RANDOM_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/**
 * Is this model and loss safe to accumulate? Accumulation is exact only when the loss is a sum over
 * examples that do not see each other; BatchNormalization in training mode, a loss normalised by the
 * batch's own statistics, in-batch negatives or a layer that mixes examples break that silently. This
 * computes the full-batch mean gradient of `batch` at `model.params` and the accumulated mean gradient
 * over several splits of it (even, uneven, single examples), compares them parameter by parameter, and
 * reports which parameters diverge and the causes it can see (for a `fromLayersModel` model, its
 * BatchNormalization and random layers by name).
 *
 * It checks the model and the loss, not a pipeline: use {@link assertAccumulationLaw} for that. A Layers
 * model's non-trainable weights (BatchNormalization's moving statistics) are restored afterwards.
 *
 * ## Example
 * ```ts
 * const report = checkAccumulationSafety(fromLayersModel(layers, { batchStatistics: 'per-micro-batch' }), losses.softmaxCrossEntropy, batch);
 * if (!report.safe) console.log(report.diverging, report.causes);
 * // ['bn/gamma', …], ["layer 'bn' (BatchNormalization) normalises each micro-batch by its own mean and variance in training"]
 * ```
 *
 * @param model a pure model or a `fromLayersModel` adapter (its params are not changed)
 * @param loss the loss, per-example or `{ sum, count }`
 * @param batch at least two examples (not disposed: the caller owns it)
 * @param options tolerance, splits, seed of the uneven split
 * @returns the report (plain values: no tensor to free)
 * @throws {ConfigError} when an option is invalid
 * @throws {BatchError} when the batch has fewer than two examples or its parts disagree
 */
export function checkAccumulationSafety(model: Model, loss: Loss, batch: Batch, options: AccumulationSafetyOptions = {}): SafetyReport {
  const { tolerance = 1e-3, seed = 42 } = options;
  if (typeof model !== 'object' || model === null || typeof model.apply !== 'function' || typeof model.params !== 'object')
    throw new ConfigError(FN, 'model', model, 'a Model ({ params, apply })');
  if (typeof loss !== 'function') throw new ConfigError(FN, 'loss', loss, 'a Loss function');
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new ConfigError(FN, 'tolerance', tolerance, 'a finite number >= 0');
  if (!Number.isInteger(seed)) throw new ConfigError(FN, 'seed', seed, 'an integer');
  const invalid = BatchError.checkBatch(FN, batch);
  if (invalid) throw invalid;
  const examples = batch.xs.shape[0] as number;
  if (examples < 2) throw new BatchError(FN, `a batch of at least 2 examples is needed to split it, got ${examples}`, examples);
  const splits = options.splits?.map((sizes) => ({ kind: 'given' as const, sizes })) ?? splitKinds(examples, seed);
  for (const { sizes } of splits)
    if (!Array.isArray(sizes) || sizes.some((s) => !Number.isInteger(s) || s < 1) || sizes.reduce((a, b) => a + b, 0) !== examples)
      throw new ConfigError(FN, 'splits', sizes, `arrays of sizes >= 1 summing to the batch's ${examples} examples`);

  const layersModel = (model as Partial<LayersModelAdapter>).layersModel;
  const saved = layersModel?.nonTrainableWeights.map((w) => tf.tidy(() => w.read().clone()));
  try {
    const full = meanGradient(model, loss, batch, [examples]);
    const again = meanGradient(model, loss, batch, [examples]);
    const scale = largest(full);
    const nondeterminism = worstOf(differences(again, full, scale));
    const perSplit = splits.map(({ kind, sizes }) => ({ kind, sizes, byParam: differences(meanGradient(model, loss, batch, sizes), full, scale) }));
    const params = Object.keys(full).map((name) => ({
      name,
      shape: model.params[name]?.shape ?? [],
      difference: Math.max(...perSplit.map((s) => s.byParam[name] as number)),
    }));
    const worst = Math.max(...params.map((p) => p.difference));
    const diverging = params.filter((p) => !(p.difference <= tolerance)).sort((a, b) => b.difference - a.difference).map((p) => p.name);
    const coupled = layersModel ? batchCoupledLayers(layersModel) : [];
    const safe = diverging.length === 0 && nondeterminism <= tolerance;
    return {
      safe,
      worst,
      tolerance,
      examples,
      params,
      splits: perSplit.map(({ kind, sizes, byParam }) => ({ kind, sizes, worst: worstOf(byParam) })),
      nondeterminism,
      diverging,
      causes: safe ? [] : causesOf(layersModel, coupled, diverging, nondeterminism, tolerance),
      batchCoupledLayers: coupled,
    };
  } finally {
    layersModel?.nonTrainableWeights.forEach((w, i) => {
      const before = saved?.[i];
      if (before) {
        w.write(before);
        before.dispose();
      }
    });
  }
}

/** The mean gradient over `batch` accumulated from consecutive parts of the given sizes, as float64 values. */
function meanGradient(model: Model, loss: Loss, batch: Batch, sizes: ReadonlyArray<number>): Record<string, Float64Array> {
  const sums: Record<string, Float64Array> = {};
  let count = 0;
  let start = 0;
  for (const size of sizes) {
    const part = sizes.length === 1 ? batch : tf.tidy(() => ({ xs: batch.xs.slice(start, size), ys: batch.ys.slice(start, size) }));
    start += size;
    try {
      const sample = gradientSample(model, loss, model.params, part);
      count += sample.count;
      for (const [name, g] of Object.entries(sample.grads)) {
        const values = g.dataSync();
        const sum = (sums[name] ??= new Float64Array(values.length));
        for (let i = 0; i < values.length; i++) sum[i]! += values[i] as number;
      }
      tf.dispose([sample.loss, ...Object.values(sample.grads)]);
    } finally {
      if (part !== batch) tf.dispose([part.xs, part.ys]);
    }
  }
  for (const sum of Object.values(sums)) for (let i = 0; i < sum.length; i++) sum[i]! /= count;
  return sums;
}

const largest = (values: Readonly<Record<string, Float64Array>>): number =>
  Math.max(0, ...Object.values(values).map((v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));

/** Per parameter: max |a − b| / max(max |b|, 1e-3 · scale). NaN counts as infinitely far. */
function differences(a: Readonly<Record<string, Float64Array>>, b: Readonly<Record<string, Float64Array>>, scale: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, bv] of Object.entries(b)) {
    const av = a[name] as Float64Array;
    let diff = 0;
    let size = 0;
    for (let i = 0; i < bv.length; i++) {
      const d = Math.abs((av[i] as number) - (bv[i] as number));
      diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
      size = Math.max(size, Math.abs(bv[i] as number));
    }
    const denominator = Math.max(size, 1e-3 * scale);
    out[name] = diff === 0 ? 0 : denominator === 0 ? Number.POSITIVE_INFINITY : diff / denominator;
  }
  return out;
}

const worstOf = (byParam: Readonly<Record<string, number>>): number => Math.max(0, ...Object.values(byParam));

function causesOf(
  layersModel: tf.LayersModel | undefined,
  coupled: ReadonlyArray<BatchCoupledLayer>,
  diverging: ReadonlyArray<string>,
  nondeterminism: number,
  tolerance: number,
): string[] {
  const causes = coupled.map((l) => `layer '${l.name}' (${l.className}) normalises each micro-batch by its own mean and variance in training`);
  const random = layersModel ? layersModel.layers.filter((l) => RANDOM_LAYERS.has(l.getClassName())) : [];
  causes.push(...random.map((l) => `layer '${l.name}' (${l.getClassName()}) draws new random values for each call, so micro-batches and the full batch see different ones`));
  if (nondeterminism > tolerance)
    causes.push(`the model is not deterministic: two full-batch gradients differ by ${nondeterminism.toExponential(2)}, so accumulation errors cannot be told apart from it`);
  if (causes.length === 0 && diverging.length > 0)
    causes.push(
      `the gradient of ${diverging.join(', ')} depends on how the batch is split: the loss or the model couples the examples of a batch ` +
        '(a loss normalised by batch statistics, in-batch negatives, a layer that mixes examples)',
    );
  return causes;
}
