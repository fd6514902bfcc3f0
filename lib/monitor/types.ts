import type { Params } from '../params/types.js';

/**
 * A model's score on held-out data, as returned by the `evaluate` function of {@link MetricsOptions}, and
 * carried by every {@link EvaluationEvent}.
 */
export interface Evaluation {
  /** Mean loss over the test examples. */
  readonly testLoss: number;
  /** Fraction of test examples whose predicted class is the label, in [0, 1]. */
  readonly testAccuracy: number;
}

/** What {@link metrics} reports after each optimizer update. Plain data: safe to keep and serialise. */
export interface UpdateEvent {
  readonly kind: 'update';
  /** Updates made so far, 1 for the first. */
  readonly update: number;
  /** The epoch (1-based) in which this update's window began. */
  readonly epoch: number;
  /** Examples consumed so far, this window's included. */
  readonly examplesSeen: number;
  /** The window's mean training loss. */
  readonly loss: number;
  /** Global L2 norm of the window's mean gradient, before clipping. */
  readonly gradNorm: number;
  /** The learning rate this update used, when the optimizer has one. */
  readonly learningRate?: number;
  /** Micro-batches of this window left out for a non-finite loss or gradient. */
  readonly skippedMicroBatches: number;
  /** This window's examples over the time since the previous update (evaluations excluded). */
  readonly examplesPerSecond: number;
  /** Milliseconds since the previous update (or since subscription), evaluations excluded. */
  readonly msPerUpdate: number;
  /** Live tensors just after the update (`tf.memory().numTensors`). */
  readonly numTensors: number;
  /** Bytes held by live tensors just after the update (`tf.memory().numBytes`). */
  readonly numBytes: number;
  /** Wall-clock time of the event, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/** What {@link metrics} reports after evaluating the parameters at the end of an epoch. */
export interface EvaluationEvent extends Evaluation {
  readonly kind: 'evaluation';
  /** The update whose parameters were evaluated. */
  readonly update: number;
  /** The epoch (1-based) that update belongs to. */
  readonly epoch: number;
  /** Wall-clock time of the event, in milliseconds since the Unix epoch. */
  readonly time: number;
}

/** One event of the metrics stream: an update, or an evaluation at an epoch's end. */
export type MetricEvent = UpdateEvent | EvaluationEvent;

/** Options of {@link metrics} and {@link tapMetrics}. */
export interface MetricsOptions {
  /**
   * Examples per epoch (the train set's size), an integer >= 1. Gives each update its epoch and marks
   * the updates at which an epoch ends. Default: one endless epoch.
   */
  readonly examplesPerEpoch?: number;
  /**
   * Scores parameters on held-out data; called synchronously, after the update that reaches or crosses
   * the end of an epoch, and once more at completion if the last update was not already evaluated.
   * It must not dispose or keep `params`.
   */
  readonly evaluate?: (params: Params) => Evaluation;
  /** Wall-clock milliseconds since the Unix epoch. Default `performance.timeOrigin + performance.now()`. */
  readonly clock?: () => number;
  /** Tensor memory. Default `tf.memory()`. */
  readonly memory?: () => { readonly numTensors: number; readonly numBytes: number };
}
