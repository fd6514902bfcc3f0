import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Subject, from } from 'rxjs';
import { progressBar } from '../../src/monitor/progressBar.js';
import type { MetricEvent } from 'gradstream';
import { runEvents } from '../support/events.js';

const sink = (): { stream: Writable; text: () => string } => {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
};

describe('progressBar', () => {
  it('shows epoch, update/total, loss, throughput and test accuracy, and stops at completion', () => {
    const { stream, text } = sink();
    const subscription = progressBar(from(runEvents(2, 3)), { totalUpdates: 6, epochs: 2, stream });
    expect(subscription.closed).toBe(true);
    const last = text().trim().split('\n').at(-1) ?? '';
    expect(last).toContain('epoch 2/2');
    expect(last).toContain('6/6 updates');
    expect(last).toContain('loss 0.3833');
    expect(last).toContain('8000 ex/s');
    expect(last).toContain('acc 85.0%');
  });

  it('stops its timers when unsubscribed mid-run, so the process can exit', () => {
    const { stream } = sink();
    const events = new Subject<MetricEvent>();
    const subscription = progressBar(events, { totalUpdates: 6, epochs: 2, stream });
    subscription.unsubscribe();
    expect(events.observed).toBe(false);
  });
});
