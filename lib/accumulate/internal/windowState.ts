import * as tf from '@tensorflow/tfjs';
import { disposeTree, mapParams } from '../../internal/tensorMaps.js';
import type { WindowState } from '../types.js';

/** An empty window that opens after `updates` updates. */
export const emptyWindow = (updates: number): WindowState => ({
  updates,
  size: 0,
  microBatches: 0,
  examples: 0,
  skippedMicroBatches: 0,
  count: 0,
  poisoned: false,
});

/** Copies of a window's tensors: the window stays its owner's. */
export function copyWindow(state: WindowState): WindowState {
  const { sum, lossSum, ...rest } = state;
  if (!sum || !lossSum) return rest;
  return { ...rest, sum: mapParams(sum, (t) => tf.clone(t)), lossSum: tf.clone(lossSum) };
}

/** Frees a window's running sums (a second dispose is harmless). */
export function disposeWindow(state: WindowState): void {
  if (state.sum) disposeTree(state.sum);
  state.lossSum?.dispose();
}
