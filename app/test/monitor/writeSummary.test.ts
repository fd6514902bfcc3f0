import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY, Subject, concat, from, reduce, startWith, throwError, lastValueFrom } from 'rxjs';
import { emptyTotals, summarize } from '../../src/monitor/summarize.js';
import { writeSummary } from '../../src/monitor/writeSummary.js';
import type { MetricEvent } from 'gradstream';
import { runEvents, updateEvent } from '../support/events.js';

const tempPath = () => join(mkdtempSync(join(tmpdir(), 'gs-')), 'summary.json');

describe('summarize', () => {
  it('keeps the last update\'s numbers, the last evaluation\'s scores and the peak tensor count', async () => {
    const events = [...runEvents(2, 3), updateEvent(7, { numTensors: 30 }), updateEvent(8)];
    const totals = await lastValueFrom(from(events).pipe(reduce(summarize, emptyTotals)));
    expect(totals).toEqual({
      updates: 8,
      examplesSeen: 2048,
      finalLoss: 2.3 / 8,
      finalTestLoss: 1 - (0.8 + 0.05),
      finalTestAccuracy: 0.8 + 0.05,
      evaluatedEpoch: 2,
      peakTensors: 30,
      trainingTimeMs: 8 * 32,
    });
  });
});

describe('writeSummary', () => {
  const config = { model: 'mlp', accumulate: 8 };

  it('writes the config, the totals, wall time, and throughput over the training time once the stream completes', async () => {
    let now = 10_000;
    const path = tempPath();
    const clock = () => now;
    const events = new Subject<MetricEvent>();
    const pending = writeSummary(events, { path, config, interrupted: () => false, clock });
    runEvents(1, 4).forEach((e) => events.next(e));
    now = 12_000; // 2 s of wall time; 1024 examples in 4 updates of 32 ms of training
    events.complete();
    const summary = await pending;
    const written: unknown = JSON.parse(readFileSync(path, 'utf8'));
    expect(written).toEqual(summary);
    expect(summary).toMatchObject({
      config,
      interrupted: false,
      updates: 4,
      finalTestAccuracy: 0.8,
      wallTimeMs: 2000,
      trainingTimeMs: 128,
      examplesPerSecond: 8000,
      startedAt: new Date(10_000).toISOString(),
    });
    expect(summary).not.toHaveProperty('error');
  });

  it('counts a resumed run\'s history, passed first, in its totals and throughput', async () => {
    const events = new Subject<MetricEvent>();
    const history = runEvents(1, 4);
    const pending = writeSummary(events.pipe(startWith(...history)), { path: tempPath(), config, interrupted: () => false });
    [updateEvent(5, { msPerUpdate: 64 }), updateEvent(6, { msPerUpdate: 64 })].forEach((e) => events.next(e));
    events.complete();
    // 6 × 256 examples over 4 × 32 + 2 × 64 ms of training, whatever the resumed part's wall time.
    expect(await pending).toMatchObject({ updates: 6, examplesSeen: 1536, finalTestAccuracy: 0.8, trainingTimeMs: 256, examplesPerSecond: 6000 });
  });

  it('asks whether the run was interrupted only once the stream has ended', async () => {
    let stopped = false;
    const events = new Subject<MetricEvent>();
    const pending = writeSummary(events, { path: tempPath(), config, interrupted: () => stopped });
    stopped = true;
    events.complete();
    expect((await pending).interrupted).toBe(true);
  });

  it('records a run without updates with null scores', async () => {
    const summary = await writeSummary(EMPTY, { path: tempPath(), config, interrupted: () => true });
    expect(summary).toMatchObject({ updates: 0, finalLoss: null, finalTestAccuracy: null });
  });

  it('still writes the summary, with the error\'s message, when the stream errors, then rejects', async () => {
    const path = tempPath();
    const failure = new Error('non-finite loss');
    await expect(
      writeSummary(concat(from([updateEvent(1)]), throwError(() => failure)), { path, config, interrupted: () => false }),
    ).rejects.toBe(failure);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ error: 'non-finite loss', updates: 1 });
  });
});
