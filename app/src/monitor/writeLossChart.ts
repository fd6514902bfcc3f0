import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lastValueFrom, tap, type Observable } from 'rxjs';
import { lossChart } from './lossChart.js';
import type { MetricEvent } from 'gradstream';

/**
 * Writes `loss.svg` when the shared metrics stream ends: the chart of {@link lossChart} over every
 * event. Events are plain numbers, so keeping them all costs a few hundred bytes per update.
 *
 * ## Example
 * ```ts
 * await writeLossChart(events$, `${out}/loss.svg`);
 * ```
 *
 * @param events the shared metrics stream
 * @param path the SVG file to write
 * @returns a Promise resolved once the file is written; if the stream errors, the chart of the events
 *   before the error is still written, then the Promise rejects with the error
 */
export async function writeLossChart(events: Observable<MetricEvent>, path: string): Promise<void> {
  const seen: MetricEvent[] = [];
  let failure: { error: unknown } | undefined;
  await lastValueFrom(events.pipe(tap((event) => seen.push(event))), { defaultValue: undefined }).catch(
    (error: unknown) => void (failure = { error }),
  );
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, await lossChart(seen), 'utf8');
  if (failure !== undefined) throw failure.error;
}
