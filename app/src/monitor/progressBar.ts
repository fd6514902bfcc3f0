import { Presets, SingleBar } from 'cli-progress';
import type { Observable, Subscription } from 'rxjs';
import type { MetricEvent } from 'gradstream';

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  /** The number of updates the run will make (the bar's total). */
  readonly totalUpdates: number;
  /** The number of epochs, shown as `epoch e/epochs`. */
  readonly epochs: number;
  /** Where to draw. Default `process.stderr`. */
  readonly stream?: NodeJS.WritableStream;
}

/**
 * Draws a terminal progress bar (cli-progress) from the shared metrics stream: epoch, update/total,
 * last loss, examples per second, ETA, and the last test accuracy once an evaluation has arrived.
 *
 * For a terminal: where stdout is not one (CI, pipes), use {@link plainLines}. Redraws are throttled by
 * cli-progress; the bar stops, leaving its last line, when the stream completes or errors, or when the
 * returned subscription is unsubscribed.
 *
 * ## Example
 * ```ts
 * const bar = progressBar(events$, { totalUpdates: 93, epochs: 3 });
 * ```
 *
 * @param events the shared metrics stream
 * @param options total updates, epochs, output stream
 * @returns the subscription (unsubscribe to stop drawing)
 */
export function progressBar(events: Observable<MetricEvent>, options: ProgressBarOptions): Subscription {
  const bar = new SingleBar(
    {
      format: 'epoch {epoch}/{epochs} {bar} {value}/{total} updates | loss {loss} | {speed} ex/s | acc {accuracy} | ETA {eta_formatted}',
      stream: options.stream ?? process.stderr,
      noTTYOutput: true,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  bar.start(options.totalUpdates, 0, { epoch: 1, epochs: options.epochs, loss: '-', speed: '-', accuracy: '-' });

  const subscription = events.subscribe({
    next: (event) => {
      if (event.kind === 'update') {
        bar.update(event.update, {
          epoch: event.epoch,
          loss: event.loss.toFixed(4),
          speed: Math.round(event.examplesPerSecond).toString(),
        });
      } else {
        bar.update({ accuracy: `${(event.testAccuracy * 100).toFixed(1)}%` });
      }
    },
    error: () => bar.stop(),
    complete: () => bar.stop(),
  });
  subscription.add(() => bar.stop());
  return subscription;
}
