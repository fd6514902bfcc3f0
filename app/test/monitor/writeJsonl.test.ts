import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Subject, concat, from, throwError } from 'rxjs';
import { writeJsonl } from '../../src/monitor/writeJsonl.js';
import type { MetricEvent } from 'gradstream';
import { runEvents, updateEvent } from '../support/events.js';

const readLines = (path: string): unknown[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);

describe('writeJsonl', () => {
  it('writes one JSON object per event, updates and evaluations, in order, then closes the file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'nested', 'metrics.jsonl');
    const events = runEvents(2, 3);
    await writeJsonl(from(events), path);
    expect(readLines(path)).toEqual(events);
  });

  it('with append, adds the events after the lines already in the file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'metrics.jsonl');
    const [before, after] = [runEvents(1, 2), [updateEvent(3), updateEvent(4)]];
    await writeJsonl(from(before), path);
    await writeJsonl(from(after), path, { append: true });
    expect(readLines(path)).toEqual([...before, ...after]);
  });

  it('writes a throughput over zero time as null', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'metrics.jsonl');
    await writeJsonl(from([updateEvent(1, { examplesPerSecond: Infinity })]), path);
    expect(readLines(path)).toEqual([expect.objectContaining({ examplesPerSecond: null })]);
  });

  it('flushes the events before an error, then rejects with it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'metrics.jsonl');
    const failure = new Error('boom');
    await expect(writeJsonl(concat(from([updateEvent(1)]), throwError(() => failure)), path)).rejects.toBe(failure);
    expect(readLines(path)).toHaveLength(1);
  });

  it('writes events as they arrive, before completion', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'metrics.jsonl');
    const events = new Subject<MetricEvent>();
    const done = writeJsonl(events, path);
    events.next(updateEvent(1));
    events.next(updateEvent(2));
    events.complete();
    await done;
    expect(readLines(path)).toHaveLength(2);
  });
});
