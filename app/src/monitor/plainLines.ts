import type { Observable, Subscription } from 'rxjs';
import type { EvaluationEvent, MetricEvent, UpdateEvent } from 'gradstream';

/** Options of {@link plainLines}. */
export interface PlainLinesOptions {
  /** Receives each line, without a newline. Default: `process.stdout.write(line + '\n')`. */
  readonly write?: (line: string) => void;
  /** Least time between two update lines, in milliseconds of the events' `time`. Default 5000. */
  readonly everyMs?: number;
  /** The run's total updates, shown as `update u/total`. */
  readonly totalUpdates?: number;
}

const updateLine = (e: UpdateEvent, total: number | undefined): string =>
  [
    `update ${e.update}${total === undefined ? '' : `/${total}`}`,
    `epoch ${e.epoch}`,
    `loss ${e.loss.toFixed(4)}`,
    `grad-norm ${e.gradNorm.toFixed(3)}`,
    ...(e.learningRate === undefined ? [] : [`lr ${e.learningRate.toPrecision(3)}`]),
    `${Math.round(e.examplesPerSecond)} ex/s`,
    `${e.msPerUpdate.toFixed(1)} ms/update`,
    `${e.numTensors} tensors`,
  ].join(' | ');

const evaluationLine = (e: EvaluationEvent): string =>
  `epoch ${e.epoch} (update ${e.update}) | test loss ${e.testLoss.toFixed(4)} | test accuracy ${(e.testAccuracy * 100).toFixed(2)}%`;

/**
 * Prints the shared metrics stream as plain log lines, for output that is not a terminal (CI, pipes,
 * files): an update line at most every `everyMs` (measured with the events' own `time`, so no timer
 * runs), a line for every evaluation, and the last update's line at the end if it was not printed.
 *
 * ## Example
 * ```ts
 * const log = plainLines(events$, { everyMs: 5000, totalUpdates: 93 });
 * // update 12/93 | epoch 1 | loss 0.4123 | grad-norm 1.532 | lr 0.001 | 8123 ex/s | 31.5 ms/update | 14 tensors
 * // epoch 1 (update 32) | test loss 0.3012 | test accuracy 91.20%
 * ```
 *
 * @param events the shared metrics stream
 * @param options the line sink, the interval, the total updates
 * @returns the subscription (unsubscribe to stop printing)
 */
export function plainLines(events: Observable<MetricEvent>, options: PlainLinesOptions = {}): Subscription {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const everyMs = options.everyMs ?? 5000;
  let lastPrinted = -Infinity;
  let unprinted: UpdateEvent | undefined;

  return events.subscribe({
    next: (event) => {
      if (event.kind === 'evaluation') {
        write(evaluationLine(event));
        return;
      }
      if (event.time - lastPrinted >= everyMs) {
        write(updateLine(event, options.totalUpdates));
        lastPrinted = event.time;
        unprinted = undefined;
      } else {
        unprinted = event;
      }
    },
    complete: () => {
      if (unprinted !== undefined) write(updateLine(unprinted, options.totalUpdates));
    },
    error: (error: unknown) => write(`stopped by an error: ${error instanceof Error ? error.message : String(error)}`),
  });
}
