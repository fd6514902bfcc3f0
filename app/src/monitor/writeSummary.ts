import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Observable } from 'rxjs';
import { emptyTotals, summarize, type RunTotals } from './summarize.js';
import type { MetricEvent } from 'gradstream';

/** Options of {@link writeSummary}. */
export interface WriteSummaryOptions<C> {
  /** The file to write, e.g. `runs/<timestamp>/summary.json`. */
  readonly path: string;
  /** The run's full configuration, recorded as given. */
  readonly config: C;
  /** Asked once the stream has ended: whether the run was stopped early (Ctrl-C). */
  readonly interrupted: () => boolean;
  /** Wall-clock milliseconds. Default `Date.now`. */
  readonly clock?: () => number;
}

/** The content of `summary.json`. */
export interface Summary<C> extends RunTotals {
  readonly config: C;
  /** True if the run was stopped before its data ran out. */
  readonly interrupted: boolean;
  /** The error that ended the run, if one did. */
  readonly error?: string;
  /** ISO time of subscription and of the end of the stream. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Milliseconds from subscription to the end of the stream (this process's part of the run). */
  readonly wallTimeMs: number;
  /**
   * Examples consumed over the training time (`trainingTimeMs`, evaluations left out): for a resumed run,
   * the whole run's examples over the whole run's training time.
   */
  readonly examplesPerSecond: number;
}

/**
 * Writes `summary.json` when the shared metrics stream ends: the configuration, the final training
 * loss, test loss and accuracy, updates, examples, wall time, training time, throughput, and whether the
 * run was interrupted. A resumed run passes its history first (`startWith(...history)`), so the totals
 * are the whole run's. Written on error too, with the error's message, so that a failed run still leaves a
 * record.
 *
 * ## Example
 * ```ts
 * let stopped = false;
 * process.once('SIGINT', () => { stopped = true; stop$.next(); });
 * const summary = await writeSummary(events$, { path: `${out}/summary.json`, config, interrupted: () => stopped });
 * summary.finalTestAccuracy; // 0.94
 * ```
 *
 * @param events the shared metrics stream
 * @param options path, config, interruption flag, clock
 * @returns a Promise of the summary, resolved once the file is written; if the stream errors, rejected
 *   with that error after the file is written
 */
export function writeSummary<C>(events: Observable<MetricEvent>, options: WriteSummaryOptions<C>): Promise<Summary<C>> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  let totals = emptyTotals;

  const write = async (error?: unknown): Promise<Summary<C>> => {
    const finished = clock();
    const wallTimeMs = finished - started;
    const summary: Summary<C> = {
      config: options.config,
      interrupted: options.interrupted(),
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
      ...totals,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      wallTimeMs,
      examplesPerSecond: totals.trainingTimeMs > 0 ? (totals.examplesSeen * 1000) / totals.trainingTimeMs : 0,
    };
    await mkdir(dirname(options.path), { recursive: true });
    await writeFile(options.path, `${JSON.stringify(summary, null, 2)}\n`, 'utf8');
    return summary;
  };

  return new Promise<Summary<C>>((resolve, reject) => {
    events.subscribe({
      next: (event) => (totals = summarize(totals, event)),
      error: (error: unknown) => write(error).then(() => reject(error), reject),
      complete: () => write().then(resolve, reject),
    });
  });
}
