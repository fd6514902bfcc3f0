import type { Params } from '../../params/types.js';
import type { TrainStep } from '../../train/types.js';
import type { Evaluation, EvaluationEvent, MetricEvent, UpdateEvent } from '../types.js';

/** What {@link metricEvents} needs: the checked options of `metrics()` and `tapMetrics()`. */
export interface MetricEventsConfig {
  readonly examplesPerEpoch: number;
  readonly evaluate: ((params: Params) => Evaluation) | undefined;
  readonly clock: () => number;
  readonly memory: () => { readonly numTensors: number; readonly numBytes: number };
}

/** The events of one run, step by step: the state both monitoring operators feed. */
export interface MetricEvents {
  /** A step's events: its update, then an evaluation for each epoch that ended since the previous step. */
  of(step: TrainStep<unknown>): Iterable<MetricEvent>;
  /** When the run ends: the evaluation of the last update's epoch, if that epoch has none yet. */
  finish(): Iterable<MetricEvent>;
}

/**
 * The arithmetic of the metric events, apart from any stream: epochs, throughput, and which parameters
 * are evaluated for which epoch. Lazy (the events are iterables), so that a consumer that stops after an
 * update event does not pay for its evaluation.
 *
 * Every epoch that ends gets exactly one evaluation event, in order. The epoch's end usually falls inside
 * an update's window, and that update's parameters are scored. It may also fall inside windows dropped
 * by `nonFinite: 'skip-update'`, between two updates: the parameters in force then are the previous
 * update's, already freed by `train` when the next step arrives, so the epoch is scored on the next
 * update's parameters, the first available after its end, and the event's `update` says which.
 * `evaluate` runs at most once per update, however many epochs it reports.
 */
export function metricEvents(config: MetricEventsConfig): MetricEvents {
  const { examplesPerEpoch, evaluate, clock, memory } = config;
  const epochAt = (examples: number): number => Math.floor(examples / examplesPerEpoch);
  let last = clock();
  /** Examples seen at the previous step; undefined before the first. */
  let previousSeen: number | undefined;
  let evaluatedEpochs = 0;
  let lastStep: { readonly step: TrainStep<unknown>; readonly epoch: number } | undefined;
  let score: { readonly step: TrainStep<unknown>; readonly evaluation: Evaluation } | undefined;

  const evaluation = (step: TrainStep<unknown>, epoch: number, run: (params: Params) => Evaluation): EvaluationEvent => {
    if (score?.step !== step) score = { step, evaluation: run(step.params) };
    evaluatedEpochs = epoch;
    return { kind: 'evaluation', update: step.step, epoch, ...score.evaluation, time: clock() };
  };

  function* of(step: TrainStep<unknown>): Iterable<MetricEvent> {
    const now = clock();
    const ms = now - last;
    const { numTensors, numBytes } = memory();
    const seen = step.state.examples;
    const windowStart = seen - step.examples;
    const epoch = 1 + epochAt(windowStart);
    // Epochs that ended since the previous step: in this window, or in dropped windows before it. Before
    // the first step the run began at 0 for a new run (step 1); a resumed run's earlier epochs were the
    // earlier run's, so it counts from this window's start.
    const from = previousSeen ?? (step.state.step === 1 ? 0 : windowStart);
    previousSeen = seen;
    lastStep = { step, epoch };
    const update: UpdateEvent = {
      kind: 'update',
      update: step.step,
      epoch,
      examplesSeen: seen,
      loss: step.loss,
      gradNorm: step.gradNorm,
      ...(step.learningRate === undefined ? {} : { learningRate: step.learningRate }),
      skippedMicroBatches: step.skippedMicroBatches,
      examplesPerSecond: ms > 0 ? (step.examples * 1000) / ms : Infinity,
      msPerUpdate: ms,
      numTensors,
      numBytes,
      time: now,
    };
    yield update;
    if (evaluate !== undefined)
      for (let ended = Math.max(epochAt(from), evaluatedEpochs) + 1; ended <= epochAt(seen); ended++) yield evaluation(step, ended, evaluate);
    else evaluatedEpochs = Math.max(evaluatedEpochs, epochAt(seen));
    // Time spent evaluating (and delivering these events) is left out of the next update's throughput.
    last = clock();
  }

  function* finish(): Iterable<MetricEvent> {
    if (lastStep === undefined || evaluate === undefined || lastStep.epoch <= evaluatedEpochs) return;
    yield evaluation(lastStep.step, lastStep.epoch, evaluate);
  }

  return { of, finish };
}
