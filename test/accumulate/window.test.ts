import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accumulateWindows } from '../../lib/accumulate/internal/accumulateWindows.js';
import { addToWindow } from '../../lib/accumulate/internal/addToWindow.js';
import { disposeWindow, emptyWindow } from '../../lib/accumulate/internal/windowState.js';
import { windowSize } from '../../lib/accumulate/internal/windowSize.js';
import type { WindowState } from '../../lib/accumulate/types.js';

const config = { steps: 4, partialWindow: 'apply', nonFinite: 'error', startStep: 0 } as const;
const sample = (g: number) => ({ grads: { w: tf.scalar(g) }, loss: tf.scalar(g), count: 1, examples: 1 });

describe('the one accumulation window', () => {
  it('windowSize reads a schedule at the step, and gives an invalid value as a Left naming it', () => {
    expect(windowSize(3, 7)).toEqual(E.right(3));
    expect(windowSize((s) => s + 1, 2)).toEqual(E.right(3));
    const invalid = windowSize(() => 0, 5);
    expect(E.isLeft(invalid) && invalid.left.message).toContain('accumulationSteps(5)');
  });

  it('addToWindow closes the window of gradients 1..4 with k = 4 at their mean 2.5', () => {
    const before = tf.memory().numTensors;
    let state: WindowState = emptyWindow(0);
    const closed = [1, 2, 3, 4].map((g) => {
      const [next, window] = addToWindow(config, state, sample(g));
      state = next;
      return window;
    });
    const last = closed[3]!;
    expect(closed.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(!last.skipped && [last.grads['w']!.dataSync()[0], last.loss, last.count]).toEqual([2.5, 2.5, 4]);
    if (!last.skipped) tf.dispose(last.grads['w']!);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('samples without a loss keep no loss sum, and their window reports a NaN loss', () => {
    const before = tf.memory().numTensors;
    const [open] = addToWindow({ ...config, steps: 2 }, emptyWindow(0), { grads: { w: tf.scalar(2) }, count: 1, examples: 1 });
    expect(open.lossSum).toBeUndefined();
    const [, window] = addToWindow({ ...config, steps: 2 }, open, { grads: { w: tf.scalar(4) }, count: 1, examples: 1 });
    expect(!window!.skipped && [window!.grads['w']!.dataSync()[0], window!.loss]).toEqual([3, Number.NaN]);
    if (!window!.skipped) tf.dispose(window!.grads['w']!);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accumulateWindows hands the open window over at completion instead of finishing it', async () => {
    const before = tf.memory().numTensors;
    let open: WindowState | undefined;
    const windows = await lastValueFrom(from([1, 2, 3].map(sample)).pipe(accumulateWindows(config, { handOver: () => (w) => (open = w) }), toArray()));
    expect(windows).toEqual([]);
    expect([open!.microBatches, open!.sum!['w']!.dataSync()[0]]).toEqual([3, 6]);
    disposeWindow(open!);
    expect(tf.memory().numTensors).toBe(before);
  });
});
