import { describe, expect, it } from 'vitest';
import { Subject, from, throwError, concat } from 'rxjs';
import { plainLines } from '../../src/monitor/plainLines.js';
import type { MetricEvent } from 'gradstream';
import { evaluationEvent, runEvents, updateEvent } from '../support/events.js';

const linesOf = (events: ReadonlyArray<MetricEvent>, everyMs: number): string[] => {
  const lines: string[] = [];
  plainLines(from(events), { write: (l) => lines.push(l), everyMs, totalUpdates: 6 });
  return lines;
};

describe('plainLines', () => {
  it('prints an update line with its numbers', () => {
    expect(linesOf([updateEvent(1)], 5000)).toEqual([
      'update 1/6 | epoch 1 | loss 2.3000 | grad-norm 1.500 | lr 0.00100 | 8000 ex/s | 32.0 ms/update | 14 tensors',
    ]);
  });

  it('prints update lines at most every everyMs of event time, and always the last one at the end', () => {
    // updates at t = 1000 .. 6000 ms, every 2500 ms: 1000, 4000 (>= 3500), then 6000 at the end
    const lines = linesOf([1, 2, 3, 4, 5, 6].map((u) => updateEvent(u)), 2500);
    expect(lines.map((l) => l.split(' | ')[0])).toEqual(['update 1/6', 'update 4/6', 'update 6/6']);
  });

  it('prints every evaluation, whatever the interval', () => {
    const lines = linesOf(runEvents(2, 3), 1e9);
    expect(lines.filter((l) => l.startsWith('epoch '))).toEqual([
      'epoch 1 (update 3) | test loss 0.2000 | test accuracy 80.00%',
      'epoch 2 (update 6) | test loss 0.1500 | test accuracy 85.00%',
    ]);
  });

  it('does not print the last update twice when it was already printed', () => {
    const lines = linesOf([updateEvent(1), evaluationEvent(1, 1, 0.5)], 1);
    expect(lines.filter((l) => l.startsWith('update 1/6'))).toHaveLength(1);
  });

  it('prints one line naming the error that ended the stream', () => {
    const lines: string[] = [];
    plainLines(concat(from([updateEvent(1)]), throwError(() => new Error('NaN loss'))), { write: (l) => lines.push(l) });
    expect(lines.at(-1)).toBe('stopped by an error: NaN loss');
  });

  it('stops printing once unsubscribed', () => {
    const lines: string[] = [];
    const events = new Subject<MetricEvent>();
    plainLines(events, { write: (l) => lines.push(l), everyMs: 0 }).unsubscribe();
    events.next(updateEvent(1));
    expect(lines).toEqual([]);
  });
});
