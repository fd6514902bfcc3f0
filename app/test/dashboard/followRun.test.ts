import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { followRun } from '../../src/dashboard/followRun.js';
import { runEvents, updateEvent } from '../support/events.js';

const dir = () => mkdtempSync(join(tmpdir(), 'gs-follow-'));
const line = (value: unknown) => `${JSON.stringify(value)}\n`;

describe('followRun', () => {
  it('reads a finished run: every event of metrics.jsonl, then completes; the config of summary.json', async () => {
    const d = dir();
    writeFileSync(join(d, 'metrics.jsonl'), runEvents(2, 3).map(line).join(''));
    writeFileSync(join(d, 'summary.json'), JSON.stringify({ config: { lr: 0.1 } }));
    const run = followRun(d, { pollMs: 5 });
    expect(await lastValueFrom(run.events.pipe(toArray()))).toEqual(runEvents(2, 3));
    expect(await firstValueFrom(run.config!)).toEqual({ lr: 0.1 });
    expect(run.name).toBe(d);
  });

  it('follows a run still being written, a line cut in two included, and completes once summary.json appears', async () => {
    const d = dir();
    const path = join(d, 'metrics.jsonl');
    const second = line(updateEvent(2));
    // The file ends inside the second line: the follower holds that half until the rest is written.
    writeFileSync(path, line(updateEvent(1)) + second.slice(0, 10));
    const run = followRun(d, { pollMs: 5 });
    const seen: number[] = [];
    const all = new Promise<number[]>((resolve, reject) => {
      let first = true;
      run.events.subscribe({
        next: (event) => {
          seen.push(event.update);
          // The first event is emitted by the look that also read the half line: write the rest now.
          if (first) {
            first = false;
            appendFileSync(path, second.slice(10) + line(updateEvent(3)));
            writeFileSync(join(d, 'summary.json'), JSON.stringify({ config: {} }));
          }
        },
        error: reject,
        complete: () => resolve(seen),
      });
    });
    expect(await all).toEqual([1, 2, 3]);
  });

  it.each([
    ['a line that is not JSON', 'not json\n', /metrics\.jsonl:2: not JSON/],
    ['a line that is not a metric event', '{"kind":"other"}\n', /metrics\.jsonl:2: not a metric event/],
    ['a line longer than 64 KiB', 'x'.repeat(70_000), /metrics\.jsonl:2: a line longer than 65536 bytes/],
  ])('errors on %s, naming the file and line', async (_, bad, message) => {
    const d = dir();
    writeFileSync(join(d, 'metrics.jsonl'), line(updateEvent(1)) + bad);
    await expect(lastValueFrom(followRun(d, { pollMs: 5 }).events)).rejects.toThrow(message);
  });
});
