import * as E from 'fp-ts/lib/Either.js';
import type { Params } from '../../params/types.js';
import { FN } from './protocol.js';

/**
 * A pool run's window, as a value: what the run may do next depends on its phase only.
 *
 * - `idle`: no micro-batch since the last window was read; `written` is the params object whose values
 *   are in shared memory (a next window with the same object need not write them again).
 * - `open`: `submitted` micro-batches of window `window` handed over, computed with `written`.
 * - `collecting`: the window's `count` samples are being read; a submit now would start a window whose
 *   samples nobody reads, and breaks the run.
 * - `broken`: an error freed the window; the run takes nothing more. `closed`: likewise, on purpose.
 *
 * Windows are numbered from 1, one number per window, also for a window with the same params as the last
 * (a skipped update keeps them): the claims rely on it.
 */
export type PoolWindow =
  | { readonly phase: 'idle'; readonly window: number; readonly written: Params | undefined }
  | { readonly phase: 'open'; readonly window: number; readonly written: Params; readonly submitted: number }
  | { readonly phase: 'collecting'; readonly window: number; readonly written: Params; readonly count: number }
  | { readonly phase: 'broken'; readonly window: number }
  | { readonly phase: 'closed'; readonly window: number };

/** A run's window before its first micro-batch. */
export const initialWindow: PoolWindow = { phase: 'idle', window: 0, written: undefined };

/** Why the run refuses a call; `breaks` when the refusal also leaves the run broken. */
export interface Refusal {
  readonly error: Error;
  readonly breaks: boolean;
}

/** What a submit does: the micro-batch's window and index, whether the params must be written first, and the state after it. */
export interface Submission {
  readonly window: number;
  readonly index: number;
  readonly writeParams: boolean;
  readonly next: PoolWindow;
}

/** The error of a call to a run that is closed or broken, or undefined when the run is usable. */
export function unusable(state: PoolWindow): Error | undefined {
  if (state.phase === 'closed') return new Error(`${FN}: the run is closed`);
  if (state.phase === 'broken') return new Error(`${FN}: the run is broken by an earlier error`);
  return undefined;
}

/** A micro-batch handed over with `params`: the first opens a window, the others join it. */
export function submitted(state: PoolWindow, params: Params): E.Either<Refusal, Submission> {
  const refused = unusable(state);
  if (refused) return E.left({ error: refused, breaks: false });
  switch (state.phase) {
    case 'collecting':
      return E.left({ error: new Error(`${FN}: a micro-batch was submitted before the samples of the last collect were all read`), breaks: true });
    case 'idle': {
      const window = state.window + 1;
      return E.right({ window, index: 0, writeParams: params !== state.written, next: { phase: 'open', window, written: params, submitted: 1 } });
    }
    case 'open':
      if (params !== state.written) return E.left({ error: new Error(`${FN}: the parameters changed in the middle of a window`), breaks: false });
      return E.right({ window: state.window, index: state.submitted, writeParams: false, next: { ...state, submitted: state.submitted + 1 } });
    default:
      return E.left({ error: new Error(`${FN}: unreachable phase`), breaks: true });
  }
}

/**
 * Before the params are written into shared memory: they are no longer any params object's, so that params
 * half written (a tensor of the wrong shape) are written again by the next window whatever its object.
 */
export function paramsForgotten(state: PoolWindow): PoolWindow {
  return state.phase === 'idle' ? { ...state, written: undefined } : state;
}

/** A collect: the window's samples are to be read (`count` of them; none when no window is open). */
export function collectStarted(state: PoolWindow): E.Either<Error, { readonly count: number; readonly next: PoolWindow }> {
  const refused = unusable(state);
  if (refused) return E.left(refused);
  switch (state.phase) {
    case 'open':
      return E.right({ count: state.submitted, next: { phase: 'collecting', window: state.window, written: state.written, count: state.submitted } });
    case 'collecting':
      return E.right({ count: state.count, next: state });
    default:
      return E.right({ count: 0, next: state });
  }
}

/** The window's last sample is read: the next submit opens a new window. */
export function collected(state: PoolWindow): PoolWindow {
  return state.phase === 'collecting' ? { phase: 'idle', window: state.window, written: state.written } : state;
}

/** An error freed the window: the run is broken (a closed run stays closed). */
export function broke(state: PoolWindow): PoolWindow {
  return state.phase === 'closed' ? state : { phase: 'broken', window: state.window };
}

/** The run is closed (for good). */
export function closedWindow(state: PoolWindow): PoolWindow {
  return { phase: 'closed', window: state.window };
}

/** Closed or broken: every call to the run fails from here on. */
export const isOver = (state: PoolWindow): boolean => state.phase === 'closed' || state.phase === 'broken';
