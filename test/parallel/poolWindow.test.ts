import { fc, test as prop } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Params } from '../../lib/params/types.js';
import {
  broke,
  closedWindow,
  collected,
  collectStarted,
  initialWindow,
  paramsForgotten,
  submitted,
  type PoolWindow,
  type Refusal,
  type Submission,
} from '../../lib/parallel/internal/poolWindow.js';

// The state machine only compares params objects by identity: plain objects stand for them, no tensor is made.
const paramsObject = (): Params => ({}) as Params;

const accepted = (result: E.Either<Refusal, Submission>): Submission => {
  if (E.isLeft(result)) throw result.left.error;
  return result.right;
};
const refused = (result: E.Either<Refusal, Submission>): Refusal => {
  if (E.isRight(result)) throw new Error('expected a refusal');
  return result.left;
};

/** Submits `size` micro-batches with `params`, then collects and reads the window: the submissions and the state after. */
function window(state: PoolWindow, params: Params, size: number): { readonly steps: Submission[]; readonly state: PoolWindow } {
  const steps: Submission[] = [];
  let s = state;
  for (let i = 0; i < size; i++) {
    const step = accepted(submitted(s, params));
    steps.push(step);
    s = step.next;
  }
  const collect = E.getOrElseW((e: Error) => {
    throw e;
  })(collectStarted(s));
  expect(collect.count).toBe(size);
  return { steps, state: collected(collect.next) };
}

describe('poolWindow', () => {
  prop.prop([fc.array(fc.record({ size: fc.integer({ min: 1, max: 6 }), sameParams: fc.boolean() }), { minLength: 1, maxLength: 8 })])(
    'windows are numbered 1, 2, 3, ... with indices from 0, and params are written exactly when the object changes',
    (windows) => {
      let state = initialWindow;
      let params = paramsObject();
      for (const [w, { size, sameParams }] of windows.entries()) {
        const next = sameParams && w > 0 ? params : paramsObject();
        const run = window(state, next, size);
        expect(run.steps.map((s) => s.window)).toEqual(Array(size).fill(w + 1));
        expect(run.steps.map((s) => s.index)).toEqual(Array.from({ length: size }, (_, i) => i));
        expect(run.steps.map((s) => s.writeParams)).toEqual(Array.from({ length: size }, (_, i) => i === 0 && next !== params));
        expect(run.state).toEqual({ phase: 'idle', window: w + 1, written: next });
        state = run.state;
        params = next;
      }
    },
  );

  it('a window with the same params object as the last gets a new number and writes nothing', () => {
    const params = paramsObject();
    const first = window(initialWindow, params, 2);
    const second = accepted(submitted(first.state, params));
    expect(second).toMatchObject({ window: 2, index: 0, writeParams: false });
  });

  it('params forgotten before a write are written again by the next window, even with the same object', () => {
    const params = paramsObject();
    const { state } = window(initialWindow, params, 1);
    expect(accepted(submitted(paramsForgotten(state), params)).writeParams).toBe(true);
  });

  it('a submit with other params in the middle of a window is refused, without breaking the run', () => {
    const open = accepted(submitted(initialWindow, paramsObject())).next;
    const refusal = refused(submitted(open, paramsObject()));
    expect(refusal.breaks).toBe(false);
    expect(refusal.error.message).toBe('workerPool: the parameters changed in the middle of a window');
  });

  it('a submit while a collect is being read is refused and breaks the run', () => {
    const params = paramsObject();
    const open = accepted(submitted(initialWindow, params)).next;
    const reading = (collectStarted(open) as E.Right<{ next: PoolWindow }>).right.next;
    expect(reading.phase).toBe('collecting');
    const refusal = refused(submitted(reading, params));
    expect(refusal.breaks).toBe(true);
    expect(refusal.error.message).toMatch(/before the samples of the last collect were all read/);
  });

  it('a collect with no micro-batch submitted has nothing to read and changes nothing', () => {
    expect(collectStarted(initialWindow)).toEqual(E.right({ count: 0, next: initialWindow }));
  });

  it('a broken run refuses every submit and collect, and says it is broken', () => {
    const broken = broke(accepted(submitted(initialWindow, paramsObject())).next);
    expect(broken).toEqual({ phase: 'broken', window: 1 });
    const refusal = refused(submitted(broken, paramsObject()));
    expect(refusal.breaks).toBe(false);
    expect(refusal.error.message).toBe('workerPool: the run is broken by an earlier error');
    expect(E.isLeft(collectStarted(broken)) && collectStarted(broken)).toMatchObject({ left: { message: 'workerPool: the run is broken by an earlier error' } });
  });

  it('a closed run stays closed, also when an error breaks it afterwards', () => {
    const closed = closedWindow(initialWindow);
    expect(broke(closed)).toEqual(closed);
    expect(collected(closed)).toEqual(closed);
    expect(refused(submitted(closed, paramsObject())).error.message).toBe('workerPool: the run is closed');
  });
});
