import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resumed } from './resumeFrom.js';
import type { TrainConfig } from './types.js';

/**
 * Whether the run a checkpoint resumes has already finished: the checkpoint holds every epoch of `c`
 * with no window open, and the run folder's summary records that run's end.
 *
 * Why the summary too: a kill between the last checkpoint and the summary leaves a run whose files the
 * resume must still write (it trains nothing, and writes them).
 *
 * ## Example
 * ```ts
 * if (await runFinished(resumed, config)) return 0; // nothing to do, nothing changed
 * ```
 *
 * @param resumed the checkpoint `--resume` found
 * @param c the resuming run's configuration
 * @returns true when there is nothing left to do
 */
export async function runFinished({ checkpoint }: Resumed, c: TrainConfig): Promise<boolean> {
  if (checkpoint.position.examples < c.epochs * c.trainSize || checkpoint.state.window !== undefined) return false;
  const path = join(c.out, 'summary.json');
  const s = await stat(path).catch(() => undefined);
  // Untrusted: sized before it is read; the CLI's summaries are a few kilobytes.
  if (s === undefined || !s.isFile() || s.size > 1024 * 1024) return false;
  try {
    const summary = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    return summary['interrupted'] === false && summary['error'] === undefined && summary['updates'] === checkpoint.state.step;
  } catch {
    return false;
  }
}
