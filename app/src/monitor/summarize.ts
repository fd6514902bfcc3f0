import type { MetricEvent } from 'gradstream';

/** What a run achieved, as recorded in `summary.json` next to its configuration. */
export interface RunTotals {
  /** Updates made. */
  readonly updates: number;
  /** Examples consumed. */
  readonly examplesSeen: number;
  /** The last update's training loss, `null` if there was no update. */
  readonly finalLoss: number | null;
  /** The last evaluation's test loss, `null` if there was none. */
  readonly finalTestLoss: number | null;
  /** The last evaluation's test accuracy, `null` if there was none. */
  readonly finalTestAccuracy: number | null;
  /** The epoch of the last evaluation, `null` if there was none. */
  readonly evaluatedEpoch: number | null;
  /** The most live tensors seen after an update, `null` if there was no update. */
  readonly peakTensors: number | null;
  /**
   * Milliseconds of training: the sum of the updates' `msPerUpdate` (evaluations left out). Over a resumed
   * run's whole history, it is every attempt's time for the updates kept, not the time of work redone.
   */
  readonly trainingTimeMs: number;
}

/** The totals of no event at all. */
export const emptyTotals: RunTotals = {
  updates: 0,
  examplesSeen: 0,
  finalLoss: null,
  finalTestLoss: null,
  finalTestAccuracy: null,
  evaluatedEpoch: null,
  peakTensors: null,
  trainingTimeMs: 0,
};

/**
 * Folds one metric event into the running totals: pure, for `scan` or `reduce`.
 *
 * ## Example
 * ```ts
 * events$.pipe(reduce(summarize, emptyTotals)); // the totals at completion
 * ```
 *
 * @param totals the totals so far
 * @param event the next event
 * @returns the new totals (a new object)
 */
export function summarize(totals: RunTotals, event: MetricEvent): RunTotals {
  return event.kind === 'update'
    ? {
        ...totals,
        updates: event.update,
        examplesSeen: event.examplesSeen,
        finalLoss: event.loss,
        peakTensors: Math.max(totals.peakTensors ?? 0, event.numTensors),
        trainingTimeMs: totals.trainingTimeMs + event.msPerUpdate,
      }
    : {
        ...totals,
        finalTestLoss: event.testLoss,
        finalTestAccuracy: event.testAccuracy,
        evaluatedEpoch: event.epoch,
      };
}
