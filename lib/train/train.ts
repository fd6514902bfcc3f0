import { concatWith, defer, finalize, identity, mergeMap, takeUntil, tap, type Observable, type OperatorFunction } from 'rxjs';
import { accumulateWindows } from '../accumulate/internal/accumulateWindows.js';
import type { AccumulatedGradients, WindowState } from '../accumulate/types.js';
import type { Batch } from '../batch/types.js';
import { microBatches } from '../batch/microBatches.js';
import { gradientSample } from '../gradients/gradientSample.js';
import { disposeBatch } from '../internal/disposeBatch.js';
import { inOrder } from '../internal/inOrder.js';
import { disposeTree } from '../internal/tensorMaps.js';
import { getOrThrow } from '../internal/validate.js';
import { applyUpdates } from '../optim/applyUpdates.js';
import { pooledSamples } from '../parallel/pooledSamples.js';
import type { TrainState, TrainStep, TrainStopped } from './types.js';
import { validateTrainOptions, type TrainConfig, type TrainOptions } from './validateTrainOptions.js';

/**
 * Trains a model with gradient accumulation: the closed loop from batches to optimizer updates, as one
 * RxJS operator.
 *
 * Each batch is split into micro-batches (`microBatchSize`), each micro-batch becomes a gradient sample
 * computed with the window's starting parameters, every `accumulationSteps` samples are summed into one
 * mean gradient weighted by count, and that gradient goes through the pure `optimizer` once. So one
 * update from N micro-batches equals one update from the whole batch at once, while memory holds one
 * micro-batch and one running sum. The optimizer's update count and learning-rate schedule advance once
 * per update, never per micro-batch, and a clipping transform in the optimizer sees the accumulated
 * gradient.
 *
 * Order: steps are emitted in the order of the data, one at a time, whether batches arrive
 * asynchronously or are pushed into the source synchronously from inside a subscriber (a `Subject` fed
 * from a `tap`, with or without `microBatchSize`): such a batch waits until the current step has been
 * delivered to every operator and subscriber downstream, so nothing downstream ever sees a later step
 * before an earlier one, or a step whose params are already freed.
 *
 * Ownership: `train` takes the batches that flow in and disposes them once used (a batch still waiting
 * when the stream ends included). A step's `params` and
 * `state` stay valid until the next step is emitted; the last emitted step's belong to the caller when
 * the stream ends, whether it completes, fails or is unsubscribed (so a failed run can resume from its
 * last step). `model.params` and an `initialState` stay the caller's: train never disposes them.
 *
 * ## Example
 * ```ts
 * const last = await lastValueFrom(
 *   batches$.pipe(
 *     train({
 *       model,
 *       loss: losses.softmaxCrossEntropy,
 *       optimizer: adam({ learningRate: 1e-3 }),
 *       microBatchSize: 32,
 *       accumulationSteps: 8, // global batch 256
 *     }),
 *   ),
 * );
 * // last.params and last.state are the caller's now; earlier steps' tensors were disposed as the run went
 * ```
 *
 * @param options model, loss, optimizer, accumulation steps and policies
 * @returns an operator from batches to one {@link TrainStep} per update
 * @throws {ConfigError} synchronously when an option is invalid or unknown (a misspelt name is rejected,
 *   naming the nearest valid one), when `model` is a `tf.LayersModel` (wrap it with {@link fromLayersModel}) or
 *   `optimizer` a `tf.train` optimizer, and when `initialState` does not fit the model's parameters or is not a
 *   state of `optimizer`; data errors ({@link BatchError},
 *   {@link ShapeMismatchError}, {@link MissingGradientError}, {@link NonFiniteGradientError}) fail the
 *   stream instead, leaving the last emitted step intact
 * With a `stop` notifier, the run can end gracefully in the middle of a window: see {@link TrainStopped}.
 *
 * @see accumulate
 * @see microBatches
 */
export function train<S>(options: TrainOptions<S> & { readonly stop: Observable<unknown> }): OperatorFunction<Batch, TrainStep<S> | TrainStopped<S>>;
export function train<S>(options: TrainOptions<S>): OperatorFunction<Batch, TrainStep<S>>;
export function train<S>(options: TrainOptions<S>): OperatorFunction<Batch, TrainStep<S> | TrainStopped<S>> {
  const config = getOrThrow(validateTrainOptions(options));
  return (batches) => defer(() => run(config, batches));
}

function run<S>(config: TrainConfig<S>, batches: Observable<Batch>): Observable<TrainStep<S> | TrainStopped<S>> {
  const { model, loss, optimizer } = config;
  const { window: initialWindow, ...initial } = config.initialState ?? { window: undefined };
  let state: TrainState<S> = config.initialState ? (initial as TrainState<S>) : {
    params: model.params,
    optimizerState: optimizer.init(model.params),
    step: 0,
    microBatches: 0,
    examples: 0,
    skippedMicroBatches: 0,
    skippedUpdates: 0,
  };
  // Ownership of the current params and optimizer state follows from two facts. Once a step has been
  // emitted they are train's, lent to the subscriber until the next step. Before, the params are the
  // caller's (model.params or initialState), and so is the optimizer state unless train made it by `init`.
  let emitted = false;
  const ownsInitialOptimizerState = config.initialState === undefined;
  let skippedUpdatesSinceStep = 0;

  const update = (window: AccumulatedGradients): ReadonlyArray<TrainStep<S>> => {
    const counters = {
      microBatches: state.microBatches + window.microBatches,
      examples: state.examples + window.examples,
      skippedMicroBatches: state.skippedMicroBatches + window.skippedMicroBatches,
    };
    if (window.skipped) {
      // No update: params and optimizer state stay as they are; only the counters move.
      state = { ...state, ...counters, skippedUpdates: state.skippedUpdates + 1 };
      skippedUpdatesSinceStep += 1;
      return [];
    }
    let learningRate: number | undefined;
    let next: TrainState<S>;
    try {
      learningRate = optimizer.learningRate?.(state.optimizerState);
      const [updates, optimizerState] = optimizer.update(window.grads, state.optimizerState, state.params);
      try {
        next = { ...state, ...counters, params: applyUpdates(state.params, updates), optimizerState, step: state.step + 1 };
      } catch (error) {
        disposeTree(optimizerState);
        throw error;
      } finally {
        disposeTree(updates);
      }
    } finally {
      disposeTree(window.grads);
    }
    // The previous step's tensors were lent to the subscriber until this step: free them now.
    if (emitted) disposeTree(state.params);
    if (emitted || ownsInitialOptimizerState) disposeTree(state.optimizerState);
    state = next;
    emitted = true;
    const step: TrainStep<S> = {
      step: state.step,
      microBatches: window.microBatches,
      examples: window.examples,
      loss: window.loss,
      gradNorm: window.gradNorm,
      ...(learningRate === undefined ? {} : { learningRate }),
      skippedMicroBatches: window.skippedMicroBatches,
      skippedUpdates: skippedUpdatesSinceStep,
      params: state.params,
      state,
    };
    skippedUpdatesSinceStep = 0;
    return [step];
  };

  const release = (): void => {
    // Whatever train made but never emitted (the optimizer state of a run with no update) is freed;
    // what it emitted last now belongs to the caller.
    if (!emitted && ownsInitialOptimizerState) disposeTree(state.optimizerState);
  };

  // A stop keeps the open window open: accumulate hands it over here, for TrainStopped to hand on.
  let stopped = false;
  let open: WindowState | undefined;
  const stop = config.stop;
  const stoppedRun = (): ReadonlyArray<TrainStopped<S>> => {
    if (!stopped || open === undefined) return [];
    const window = open;
    open = undefined;
    emitted = true; // the params and optimizer state are the caller's from now on, as after a step
    return [{ stopped: true, state: window.microBatches === 0 ? (disposeTree(window), state) : { ...state, window } }];
  };

  return batches.pipe(
    config.microBatchSize === undefined ? identity : microBatches(config.microBatchSize),
    // After splitting: a stop lets the micro-batch in hand finish, and takes no further one.
    stop === undefined ? identity : takeUntil(stop.pipe(tap(() => (stopped = true)))),
    config.gradients !== undefined
      ? // A resumed open window already holds some of its micro-batches: the pool's first window is shorter.
        pooledSamples(config.gradients, model, loss, config.accumulationSteps, () => state, initialWindow?.microBatches ?? 0)
      : // One micro-batch at a time, in arrival order: one pushed into the source from inside a subscriber
        // waits until the current one's step has been delivered (mergeMap would run it inside that delivery
        // and emit its step first), and is freed if the stream ends while it waits.
        inOrder((batch: Batch) => {
          // Every micro-batch of a window sees `state.params`: they change only when the window closes,
          // synchronously, before the next micro-batch is taken.
          try {
            return [gradientSample(model, loss, state.params, batch)];
          } finally {
            disposeBatch(batch);
          }
        }, disposeBatch),
    // accumulate's own operator, resumed from a copy of the open window (the caller's stays the
    // caller's). Completion applies (or drops) a partial window; a stop keeps it open instead.
    accumulateWindows(
      { steps: config.accumulationSteps, partialWindow: config.partialWindow, nonFinite: config.nonFinite, startStep: state.step },
      { initial: initialWindow, handOver: () => (stopped ? (window) => (open = window) : undefined) },
    ),
    mergeMap(update),
    concatWith(defer(stoppedRun)),
    finalize(() => {
      // A window handed over but never emitted (the stream ended first) is still train's.
      if (open !== undefined) disposeTree(open);
      open = undefined;
      release();
    }),
  );
}
