import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Observable } from 'rxjs';
import type { MetricEvent } from 'gradstream';

/**
 * Writes the shared metrics stream to a JSON Lines file: one JSON object per event, updates and
 * evaluations alike, in the order emitted (tell them apart by `kind`).
 *
 * The file is opened at once (its folder created if missing) and written as events arrive; when the
 * stream ends, by completion or by error, it is flushed and closed. `Infinity` (a throughput over zero
 * time) is written as `null`, as JSON has no infinity.
 *
 * ## Example
 * ```ts
 * await writeJsonl(events$, 'runs/2024-01-01T00-00-00/metrics.jsonl');
 * // {"kind":"update","update":1,"epoch":1,"examplesSeen":256,"loss":2.31,...}
 * ```
 *
 * @param events the shared metrics stream
 * @param path the file to create (replaced if it exists)
 * @param options `append: true` adds to the end of an existing file instead (a resumed run's history)
 * @returns a Promise that resolves once the stream has completed and the file is closed, or rejects
 *   with the stream's error once the file is closed
 */
export function writeJsonl(events: Observable<MetricEvent>, path: string, options: { readonly append?: boolean } = {}): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path, { encoding: 'utf8', flags: options.append === true ? 'a' : 'w' });
  return new Promise<void>((resolve, reject) => {
    let failure: { error: unknown } | undefined;
    file.on('error', (error) => {
      failure ??= { error };
      subscription.unsubscribe();
      reject(error);
    });
    file.on('close', () => (failure === undefined ? resolve() : reject(failure.error)));
    const subscription = events.subscribe({
      next: (event) => file.write(`${JSON.stringify(event)}\n`),
      error: (error: unknown) => {
        failure = { error };
        file.end();
      },
      complete: () => file.end(),
    });
  });
}
