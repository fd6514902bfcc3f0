import { describe, expect, it } from 'vitest';
import { interruptSignals } from '../../src/cli/interruptSignals.js';

const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

describe('interruptSignals', () => {
  it.each([['SIGINT'], ['SIGTERM']] as const)('emits the first %s, then removes its listeners, so a second signal ends the process as usual', (name) => {
    const before = listeners();
    const seen: string[] = [];
    let completed = false;
    interruptSignals().subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
    expect(listeners()).toEqual(before.map((n) => n + 1));

    process.emit(name);

    expect(seen).toEqual([name]);
    expect(completed).toBe(true);
    expect(listeners()).toEqual(before);
  });

  it('removes its listeners when unsubscribed before any signal', () => {
    const before = listeners();
    interruptSignals().subscribe().unsubscribe();
    expect(listeners()).toEqual(before);
  });
});
