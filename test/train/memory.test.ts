import * as tf from '@tensorflow/tfjs';
import { bufferCount, map, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../lib/batch/types.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { batchData, collect, disposeStep, lazyBatches, mlp, mse, toBatch } from '../support/fixtures.js';

const [D, H, K, MB] = [32, 64, 4, 8];
const model = () => mlp(D, H, K, 3);
const source = (count: number): Observable<Batch> =>
  lazyBatches(Array.from({ length: count }, (_, i) => () => toBatch(batchData(MB, D, K, i))));

/** Peak bytes above the starting point while `run` runs (tf.profile tracks every allocation). */
async function peakBytes(run: () => Promise<void>): Promise<number> {
  const start = tf.memory().numBytes;
  const info = await tf.profile(run);
  return info.peakBytes - start;
}

describe('train: flat memory', () => {
  it('holds the same peak tensor bytes during a window with N = 32 as with N = 2', async () => {
    const m = model();
    const peak = async (n: number) =>
      peakBytes(async () => {
        const steps = await collect(source(2 * n).pipe(train({ model: m, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: n })));
        disposeStep(steps.at(-1));
      });
    const [two, thirtyTwo] = [await peak(2), await peak(32)];
    expect(two).toBeGreaterThan(0);
    expect(thirtyTwo).toBeLessThanOrEqual(two * 1.01);
    tf.dispose(Object.values(m.params));
  });

  it('(the measure can tell) a naive bufferCount(N) of gradient maps grows with N', async () => {
    const m = model();
    const peak = async (n: number) =>
      peakBytes(async () => {
        await collect(
          source(n).pipe(
            map((b) => {
              const s = gradientSample(m, mse, m.params, b);
              tf.dispose([b.xs, b.ys, s.loss]);
              return s.grads;
            }),
            bufferCount(n),
            map((all) => {
              const sum = tf.tidy(() => Object.fromEntries(Object.keys(all[0]!).map((k) => [k, tf.addN(all.map((g) => g[k]!))])));
              all.forEach(disposeTree);
              disposeTree(sum);
            }),
          ),
        );
      });
    const [two, thirtyTwo] = [await peak(2), await peak(32)];
    expect(thirtyTwo).toBeGreaterThan(two * 4);
    tf.dispose(Object.values(m.params));
  });
});
