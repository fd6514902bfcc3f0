import type { GradientSample } from '../../gradients/types.js';
import type { AccumulatedGradients, WindowState } from '../types.js';
import { addToWindow } from './addToWindow.js';
import { finishWindow } from './finishWindow.js';
import type { WindowConfig } from './windowTypes.js';
import { copyWindow, disposeWindow, emptyWindow } from './windowState.js';

/** The open window of a stream: the shell that holds a {@link WindowState} and owns its tensors. */
export interface RunningWindow {
  /** Takes a sample (and its tensors); returns the window it closes, if it closes one. */
  add(sample: GradientSample): ReadonlyArray<AccumulatedGradients>;
  /** At completion: the partial window, applied or dropped. */
  finish(): ReadonlyArray<AccumulatedGradients>;
  /** Hands the open window (and its tensors) to the caller; the shell then holds an empty one. */
  take(): WindowState;
  /** Frees the running sum: on completion, error and unsubscribe. */
  release(): void;
}

/**
 * The shell around {@link addToWindow}: keeps the current window state between samples, so that an
 * operator can feed it. Starts from a copy of `initial` (which stays its owner's) or an empty window.
 */
export function runningWindow(config: WindowConfig, initial?: WindowState): RunningWindow {
  let state = initial ? copyWindow(initial) : emptyWindow(config.startStep);
  const swap = (): WindowState => {
    const current = state;
    state = emptyWindow(current.updates);
    return current;
  };
  return {
    add: (sample) => {
      const [next, closed] = addToWindow(config, state, sample);
      state = next;
      return closed ? [closed] : [];
    },
    finish: () => {
      const closed = finishWindow(config, swap());
      return closed ? [closed] : [];
    },
    take: swap,
    release: () => disposeWindow(swap()),
  };
}
