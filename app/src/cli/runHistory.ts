import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MetricEvent } from 'gradstream';
import type { Resumed } from './resumeFrom.js';
import type { TrainConfig } from './types.js';

/** Larger than any run's metrics.jsonl the CLI writes (a few hundred bytes per update). */
const MAX_METRICS_BYTES = 256 * 1024 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isNumber = (v: unknown): v is number => typeof v === 'number';

/** A line as writeJsonl wrote it: an update or an evaluation with the fields the summary and chart read. */
const isEvent = (v: unknown): v is MetricEvent =>
  isRecord(v) &&
  isCount(v['update']) &&
  ((v['kind'] === 'update' && isCount(v['examplesSeen']) && isNumber(v['loss']) && isNumber(v['msPerUpdate'])) ||
    (v['kind'] === 'evaluation' && isCount(v['epoch']) && isNumber(v['testLoss']) && isNumber(v['testAccuracy'])));

/**
 * The history a resumed run continues: the metric events of its run folder up to the resumed update,
 * with `metrics.jsonl` cut back to them; or `undefined` when the run starts a new folder (the checkpoint
 * is not from this run's `--checkpoint-dir`, or `--out` holds no `metrics.jsonl`).
 *
 * Why cut: lines after the resumed update are from an attempt whose later work was lost (a kill), and
 * will be written again; an evaluation of an epoch that had not ended (the last one of an interrupted
 * attempt) will be made again at the epoch's true end. What is kept is written to a temporary file, made
 * durable and renamed over `metrics.jsonl`, so a crash leaves the old file or the new one. The file is
 * untrusted: its size is checked before it is read, and reading stops at the first line that is not an
 * event (a line torn by a kill).
 *
 * ## Example
 * ```ts
 * const history = await runHistory(config, resumed); // then append the new events to metrics.jsonl
 * ```
 *
 * @param config the resuming run's configuration
 * @param resumed the checkpoint it resumes from
 * @returns the kept events, in order, or undefined for a new run folder
 * @throws {Error} (rejects) naming metrics.jsonl when it is not a file or is too large
 */
export async function runHistory(config: TrainConfig, resumed: Resumed): Promise<ReadonlyArray<MetricEvent> | undefined> {
  const path = join(config.out, 'metrics.jsonl');
  if (resumed.folder !== resolve(config.checkpointDir)) return undefined;
  const s = await lstat(path).catch(() => undefined);
  if (s === undefined) return undefined;
  if (!s.isFile()) throw new Error(`${path} is not a file`);
  if (s.size > MAX_METRICS_BYTES) throw new Error(`${path} is ${s.size} bytes, more than the ${MAX_METRICS_BYTES} a run writes`);

  const step = resumed.checkpoint.state.step;
  const events: MetricEvent[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')) {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      break;
    }
    if (!isEvent(event)) break;
    events.push(event);
  }
  const seenAt = new Map(events.flatMap((e) => (e.kind === 'update' ? [[e.update, e.examplesSeen] as const] : [])));
  const kept = events.filter(
    (e) => e.update <= step && (e.kind === 'update' || e.epoch * config.trainSize <= (seenAt.get(e.update) ?? -1)),
  );
  await replaceFile(path, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return kept;
}

/** Replaces `path` by `text` atomically: a temporary file beside it, fsynced, renamed over it. */
async function replaceFile(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
