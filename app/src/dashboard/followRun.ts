import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import type { MetricEvent } from 'gradstream';
import type { DashboardRun } from './serveDashboard.js';

/** Options of {@link followRun}. */
export interface FollowRunOptions {
  /** The run's name on the page. Default: the folder as given. */
  readonly name?: string;
  /** Milliseconds between two looks at the files. Default 250. */
  readonly pollMs?: number;
}

/** A line of metrics.jsonl longer than this is not a metric event: refuse it rather than hold it. */
const MAX_LINE = 64 * 1024;
/** Read at most this much per look, so a huge file is taken in steps. */
const MAX_READ = 4 * 1024 * 1024;
/** summary.json is a few kilobytes; refuse to read a file claiming to be one beyond this. */
const MAX_SUMMARY = 1024 * 1024;

const isEvent = (value: unknown): value is MetricEvent => {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (v['kind'] === 'update' || v['kind'] === 'evaluation') &&
    typeof v['update'] === 'number' &&
    typeof v['time'] === 'number'
  );
};

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * A run folder written by `gradstream train`, as a run the dashboard can show: its `metrics.jsonl`
 * read as events, following the file while the run is still writing it (like `tail -f`), and the
 * configuration of its `summary.json` once that exists. The events complete when `summary.json`
 * exists and the metrics file has no more lines. Files are untrusted: lines longer than 64 KiB,
 * lines that are not metric events, and a file that shrinks are errors on the events' channel,
 * naming the file (under the run's name) and line.
 *
 * ## Example
 * ```ts
 * const dashboard = await serveDashboard([followRun('runs/a'), followRun('runs/b')]);
 * ```
 *
 * @param dir the run folder
 * @param options the name shown and the polling interval
 * @returns a run for {@link serveDashboard}
 */
export function followRun(dir: string, options: FollowRunOptions = {}): DashboardRun {
  const pollMs = options.pollMs ?? 250;
  const metricsPath = join(dir, 'metrics.jsonl');
  const summaryPath = join(dir, 'summary.json');
  // Errors reach the page: they name the file by the run's name, not by where the folder is.
  const shownMetrics = join(options.name ?? dir, 'metrics.jsonl');

  const readSummary = async (): Promise<{ config: unknown } | undefined> => {
    const info = await stat(summaryPath).catch(() => undefined);
    if (info === undefined || info.size > MAX_SUMMARY) return undefined;
    try {
      const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as { config?: unknown };
      return { config: summary.config ?? null };
    } catch {
      return undefined; // being written: look again later
    }
  };

  const events = new Observable<MetricEvent>((subscriber) => {
    let offset = 0;
    let carry = '';
    let line = 0;
    let timer: NodeJS.Timeout | undefined;

    const look = async (): Promise<void> => {
      const info = await stat(metricsPath).catch(() => undefined);
      const size = info?.size ?? 0;
      if (size < offset) throw new Error(`${shownMetrics} shrank from ${offset} to ${size} bytes: it was replaced`);
      if (size > offset) {
        const length = Math.min(size - offset, MAX_READ);
        const handle = await open(metricsPath, 'r');
        try {
          const buffer = Buffer.alloc(length);
          const { bytesRead } = await handle.read(buffer, 0, length, offset);
          offset += bytesRead;
          carry += buffer.subarray(0, bytesRead).toString('utf8');
        } finally {
          await handle.close();
        }
        const lines = carry.split('\n');
        carry = lines.pop()!;
        for (const text of lines) {
          line++;
          if (text.trim() === '') continue;
          if (text.length > MAX_LINE) throw new Error(`${shownMetrics}:${line}: a line longer than ${MAX_LINE} bytes`);
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            throw new Error(`${shownMetrics}:${line}: not JSON: ${text.slice(0, 80)}`);
          }
          if (!isEvent(value)) throw new Error(`${shownMetrics}:${line}: not a metric event: ${text.slice(0, 80)}`);
          if (subscriber.closed) return;
          subscriber.next(value);
        }
        if (carry.length > MAX_LINE) throw new Error(`${shownMetrics}:${line + 1}: a line longer than ${MAX_LINE} bytes`);
        if (size > offset) return look(); // more than one read's worth: go on now
        return;
      }
      if (carry === '' && (await exists(summaryPath))) subscriber.complete();
    };

    const loop = (): void => {
      look().then(
        () => {
          if (!subscriber.closed) timer = setTimeout(loop, pollMs);
        },
        (error: unknown) => subscriber.error(error),
      );
    };
    loop();
    return () => clearTimeout(timer);
  });

  const config = new Observable<unknown>((subscriber) => {
    let timer: NodeJS.Timeout | undefined;
    const loop = (): void => {
      void readSummary().then((summary) => {
        if (subscriber.closed) return;
        if (summary === undefined) timer = setTimeout(loop, pollMs);
        else {
          subscriber.next(summary.config);
          subscriber.complete();
        }
      });
    };
    loop();
    return () => clearTimeout(timer);
  });

  return { name: options.name ?? dir, events, config };
}
