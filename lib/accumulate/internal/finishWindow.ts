import type { AccumulatedGradients, WindowState } from '../types.js';
import { closeWindow, releaseSums, type Working } from './closeWindow.js';
import type { WindowConfig } from './windowTypes.js';

/**
 * At completion: the partial window, applied (`partialWindow: 'apply'`, its mean over its own count)
 * or dropped. Pure, as {@link addToWindow}.
 *
 * Ownership: consumes `state`; the caller owns the window it returns. When it throws, every tensor of
 * `state` has been disposed.
 *
 * @returns the closed window, or `undefined` when there is none to apply
 */
export function finishWindow(config: WindowConfig, state: WindowState): AccumulatedGradients | undefined {
  const w: Working = { ...state };
  try {
    if (w.microBatches === 0) return undefined;
    if (config.partialWindow === 'apply') return closeWindow(config, w, true);
    return undefined;
  } finally {
    releaseSums(w);
  }
}
