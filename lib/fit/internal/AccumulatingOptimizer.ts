import * as tf from '@tensorflow/tfjs';
import { addToWindow } from '../../accumulate/internal/addToWindow.js';
import { finishWindow } from '../../accumulate/internal/finishWindow.js';
import type { WindowConfig } from '../../accumulate/internal/windowTypes.js';
import { disposeWindow, emptyWindow } from '../../accumulate/internal/windowState.js';
import type { AccumulatedGradients, WindowState } from '../../accumulate/types.js';
import { BatchError } from '../../errors/BatchError.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { describeValue } from '../../internal/describeValue.js';
import { disposeTree } from '../../internal/tensorMaps.js';
import { getOrThrow } from '../../internal/validate.js';
import { registerBatchSizeReporter } from './batchSizeReporter.js';
import { ACCUMULATING, FN, validateAccumulatingOptions, type AccumulatingConfig, type EpochEnd } from './validateAccumulatingOptions.js';
import { readSavedWindow, windowWeights } from './savedWindow.js';
import { batchSample, checkFits, namedGradients, rebind, type NamedGradient, type NamedTensor, type VariableGradients } from './gradientList.js';

/** The open window of an {@link AccumulatingOptimizer}, as its `window` property shows it. */
export interface AccumulationWindow {
  /** Batches added since the last update (0 to steps − 1 between calls). */
  readonly batches: number;
  /** The examples they hold: the sum of their reported sizes, or `batches` when no size was reported. */
  readonly examples: number;
  /** Σ size·gradient per variable name. Owned by the optimizer: valid until its next `applyGradients`. */
  readonly sums: Readonly<Record<string, tf.Tensor>>;
}

/**
 * A `tf.Optimizer` that accumulates gradients over `steps` batches and applies an inner tfjs optimizer once
 * per window, with the window's size-weighted mean gradient. Made by {@link accumulatingOptimizer}.
 *
 * It owns its running sums and its inner optimizer: `dispose()` frees both.
 *
 * ## Example
 * ```ts
 * const optimizer = accumulatingOptimizer(tf.train.adam(1e-3), { steps: 4 });
 * model.compile({ optimizer, loss: 'categoricalCrossentropy' });
 * await model.fit(xs, ys, { batchSize: 32 });
 * console.log(optimizer.iterations, optimizer.window.batches); // updates made, batches in the open window
 * optimizer.flush(); // apply a window left open, if any
 * optimizer.dispose();
 * ```
 */
export class AccumulatingOptimizer extends tf.Optimizer {
  /** The name tfjs serialisation knows this class by (`getClassName()`). */
  static readonly className = 'AccumulatingOptimizer';
  /** @internal marks an accumulating optimizer, whatever copy of gradstream made it. */
  readonly [ACCUMULATING] = true;
  /** The wrapped optimizer, applied once per window. */
  readonly inner: tf.Optimizer;
  /** Batches per update. */
  readonly steps: number;
  /** What happens to a window still open at the end of an epoch of `fit` or `fitDataset`. */
  readonly epochEnd: EpochEnd;

  /**
   * The open window: lib/accumulate's, the one every shell drives. Its update count is not read: a
   * fit window's size is the fixed `steps`.
   */
  private state: WindowState = emptyWindow(0);
  /** What the window's arithmetic reads: `steps`; flush applies a partial window; tfjs's NaN policy. */
  private readonly config: WindowConfig;
  /** Whether the window's batches carry reported sizes; undefined while the window is empty. */
  private sized: boolean | undefined;
  /** The order tfjs gave the last batch's gradients in: the order the inner optimizer always sees. */
  private order: ReadonlyArray<string> = [];
  /** Whether the window was restored by setWeights and waits for a batch to learn its variables' names. */
  private restored = false;
  /** Where the next batch's size comes from: fit's batch logs, or reportBatchSize. */
  private pendingSize: (() => unknown) | undefined;

  constructor(config: AccumulatingConfig) {
    super();
    // fit and fitDataset report each batch's size through a callback tfjs adds by itself once registered.
    registerBatchSizeReporter();
    this.inner = config.inner;
    this.steps = config.steps;
    this.epochEnd = config.epochEnd;
    this.config = { steps: config.steps, partialWindow: 'apply', nonFinite: 'unchecked', startStep: 0 };
  }

  /** Updates applied so far: the inner optimizer's iteration count, which advances once per window. */
  override get iterations(): number {
    return this.inner.iterations;
  }

  /** The open window: how many batches and examples it holds, and its running sums (owned by the optimizer). */
  get window(): AccumulationWindow {
    const { microBatches, examples, sum } = this.state;
    return { batches: microBatches, examples, sums: sum ?? {} };
  }

  /**
   * Adds a batch's gradients to the running sums, weighted by its size; every `steps`-th call applies the
   * inner optimizer once with the window's mean. Called by `minimize` (so by `model.fit` and `fitDataset`).
   * Keeps none of the given tensors. Throws, changing nothing, when the batch does not fit the window.
   */
  override applyGradients(variableGradients: VariableGradients): void {
    const size = this.takeBatchSize();
    const grads = namedGradients(variableGradients);
    const sized = size !== undefined;
    if (this.sized !== undefined && this.sized !== sized)
      throw new BatchError(
        `${FN}.applyGradients`,
        `batch ${this.state.microBatches + 1} of the window ${sized ? 'has' : 'has no'} reported size, unlike the batches before it: report every batch's size (model.fit and fitDataset do) or none`,
        size,
      );
    const sum = this.restored && this.state.sum ? rebind(`${FN}.applyGradients`, this.state.sum, grads) : this.state.sum;
    checkFits(`${FN}.applyGradients`, sum, grads);
    // Checked: from here on the batch is one more sample of the window, which owns it.
    let closed: AccumulatedGradients | undefined;
    try {
      let next: WindowState;
      [next, closed] = addToWindow(this.config, sum ? { ...this.state, sum } : this.state, batchSample(grads, size ?? 1));
      // Kept: the new sums were made inside the tidy model.fit opens per batch, and must outlive it.
      if (next.sum) Object.values(next.sum).forEach((t) => tf.keep(t));
      this.state = next;
    } catch (error) {
      // addToWindow has freed the window and the sample: start afresh rather than hold freed tensors.
      this.state = emptyWindow(0);
      this.sized = undefined;
      throw error;
    }
    this.sized = closed ? undefined : sized;
    this.restored = false;
    this.order = grads.map((g) => g.name);
    if (closed) this.applyWindow(closed);
  }

  /**
   * Applies the open window now, with the mean over the examples it holds, and starts an empty one.
   * @returns whether there was a window to apply
   */
  flush(): boolean {
    if (this.state.microBatches === 0) return false;
    if (this.restored)
      throw new BatchError(`${FN}.flush`, 'a window restored by setWeights learns its variables from the next batch: flush after one', this.state.microBatches);
    const open = this.state;
    this.state = emptyWindow(0);
    this.sized = undefined;
    const closed = finishWindow(this.config, open);
    if (closed) this.applyWindow(closed);
    return true;
  }

  /**
   * Sets the size of the next batch, for loops that call `minimize` or `applyGradients` themselves
   * (`model.fit` and `fitDataset` report sizes on their own).
   * @throws {ConfigError} unless `size` is a positive integer
   */
  reportBatchSize(size: number): void {
    if (!Number.isInteger(size) || size < 1) throw new ConfigError(`${FN}.reportBatchSize`, 'size', size, 'an integer >= 1');
    this.pendingSize = () => size;
  }

  /** @internal the next batch's size is `logs.size` once tfjs has set it (fit sets it after onBatchBegin). */
  followBatchLogs(logs: Readonly<Record<string, unknown>>): void {
    this.pendingSize = () => logs['size'];
  }

  /** @internal called at the end of every epoch of fit or fitDataset. */
  endEpoch(): void {
    if (this.epochEnd === 'apply') this.flush();
  }

  /** Frees the running sums and the inner optimizer's variables. */
  override dispose(): void {
    disposeWindow(this.state);
    this.state = emptyWindow(0);
    this.sized = undefined;
    this.inner.dispose();
    super.dispose();
  }

  /** `steps`, `epochEnd` and the inner optimizer's class name and config (what `model.save` records). */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      steps: this.steps,
      epochEnd: this.epochEnd,
      innerClassName: this.inner.getClassName(),
      innerConfig: this.inner.getConfig(),
    };
  }

  /** Rebuilds an accumulating optimizer from {@link getConfig}'s output, its inner one by its class name. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const innerName = config['innerClassName'];
    const entry = typeof innerName === 'string' ? tf.serialization.SerializationMap.getMap().classNameMap[innerName] : undefined;
    if (entry === undefined) throw new ConfigError(FN, 'innerClassName', innerName, 'the class name of a registered tfjs optimizer');
    const [innerClass, innerFromConfig] = entry;
    const inner = innerFromConfig(innerClass, (config['innerConfig'] ?? {}) as tf.serialization.ConfigDict);
    return new cls(getOrThrow(validateAccumulatingOptions(inner)({ steps: config['steps'], epochEnd: config['epochEnd'] })));
  }

  /**
   * The inner optimizer's weights, then the open window: its counts and one sum per variable (named
   * `gradstream.accumulating/...`), so that `model.save({ includeOptimizer: true })` keeps a window mid-way.
   * As with tfjs's own optimizers, the counters are new tensors the caller owns; the rest are live.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const inner = await this.inner.getWeights();
    return [...inner, ...windowWeights({ state: this.state, sized: this.sized, order: this.order })];
  }

  /**
   * Restores what {@link getWeights} returned: the inner optimizer's weights and the open window (copied).
   * The window's sums are matched to the model's variables by position at the next batch, as tfjs's own
   * optimizers match their weights (variable names differ between copies of a model).
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const saved = await readSavedWindow(`${FN}.setWeights`, weightValues, this.steps);
    if (saved.inner.length > 0) await this.inner.setWeights(saved.inner);
    const { state, sized, order } = saved.open();
    disposeWindow(this.state);
    [this.state, this.sized, this.order] = [state, sized, order];
    this.restored = state.microBatches > 0;
  }

  private takeBatchSize(): number | undefined {
    const read = this.pendingSize;
    this.pendingSize = undefined;
    if (read === undefined) return undefined;
    const size = read();
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1)
      throw new BatchError(`${FN}.applyGradients`, `the batch size fit reported is not an integer >= 1: ${describeValue(size)}`, size);
    return size;
  }

  /** Applies a closed window's mean gradient with the inner optimizer, in tfjs's order (null where none). */
  private applyWindow(closed: AccumulatedGradients): void {
    // Every fit window holds at least one example and no policy skips one: this is for the types.
    if (closed.skipped) return;
    try {
      const mean: NamedGradient[] = this.order.map((name) => ({ name, tensor: closed.grads[name] ?? null }));
      tf.tidy(() => this.inner.applyGradients(mean as NamedTensor[]));
    } finally {
      disposeTree(closed.grads);
    }
  }
}

tf.serialization.registerClass(AccumulatingOptimizer);
