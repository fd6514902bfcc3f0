// The operator law of STYLE.md and issue 8 (point 3): every public operator passes an unsubscription
// upstream at once, so `take(k)` after it stops a source of thousands of items after what k outputs need,
// whether the source is synchronous (`from(array)`: the bug was that metrics() let it run to the end) or
// asynchronous; and nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { asyncScheduler, from, lastValueFrom, map, scheduled, take, takeWhile, toArray, type Observable, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accumulate } from '../../lib/accumulate/accumulate.js';
import type { AccumulatedGradients } from '../../lib/accumulate/types.js';
import { microBatches } from '../../lib/batch/microBatches.js';
import type { Batch } from '../../lib/batch/types.js';
import type { GradientSample } from '../../lib/gradients/types.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { metrics } from '../../lib/monitor/metrics.js';
import { tapMetrics } from '../../lib/monitor/tapMetrics.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { batchData, disposeStep, linear, mse, toBatch } from '../support/fixtures.js';

const ITEMS = 5000;
type Timing = 'synchronous' | 'asynchronous';

/** A source of ITEMS values made only when emitted, counting how many were made. */
function counted<T>(timing: Timing, make: (i: number) => T): { source: Observable<T>; made: () => number } {
  let made = 0;
  const indices = Array.from({ length: ITEMS }, (_, i) => i);
  const ticks = timing === 'synchronous' ? from(indices) : scheduled(indices, asyncScheduler);
  return { source: ticks.pipe(map((i) => (made++, make(i)))), made: () => made };
}

const batchOf = (examples: number) => (i: number): Batch => toBatch(batchData(examples, 3, 2, i));
const sample = (i: number): GradientSample => ({ grads: { w: tf.scalar(i) }, loss: tf.scalar(0), count: 1, examples: 1 });

/** Runs `source.pipe(operator, stop)`, frees what it emitted with `free`, and returns the outputs. */
async function stopped<T, R>(source: Observable<T>, operator: OperatorFunction<T, R>, stop: OperatorFunction<R, R>, free: (outputs: R[]) => void) {
  const outputs = await lastValueFrom(source.pipe(operator, stop, toArray()));
  free(outputs);
  return outputs;
}

describe.each(['synchronous', 'asynchronous'] as const)('with a %s source of thousands of items, take(k) downstream stops it', (timing) => {
  it('microBatches(4): 7 micro-batches of 10-example batches need 3 batches', async () => {
    const before = tf.memory().numTensors;
    const { source, made } = counted(timing, batchOf(10));
    const out = await stopped(source, microBatches(4), take(7), (mbs) => mbs.forEach((b) => tf.dispose([b.xs, b.ys])));
    expect(out.map((b) => b.xs.shape[0])).toEqual([4, 4, 2, 4, 4, 2, 4]);
    expect(made()).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accumulate(3): 4 windows need 12 samples', async () => {
    const before = tf.memory().numTensors;
    const { source, made } = counted(timing, sample);
    const out = await stopped(source, accumulate(3), take(4), (ws: AccumulatedGradients[]) => ws.forEach((w) => w.skipped || disposeTree(w.grads)));
    expect(out).toHaveLength(4);
    expect(made()).toBe(12);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['without microBatchSize, accumulationSteps 2: 5 steps need 10 batches', {}, 10],
    ['with microBatchSize 2, accumulationSteps 2: 5 steps need 5 batches of 4', { microBatchSize: 2 }, 5],
  ])('train %s', async (_, extra, need) => {
    const model = linear(3, 2);
    const before = tf.memory().numTensors;
    const { source, made } = counted(timing, batchOf(4));
    const out = await stopped(
      source,
      train({ model, loss: mse, optimizer: sgd({ learningRate: 0.01 }), accumulationSteps: 2, ...extra }),
      take(5),
      (steps) => disposeStep(steps.at(-1)),
    );
    expect(out.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    expect(made()).toBe(need);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });

  it.each([
    ['take(5)', take<unknown>(5), 5],
    ['takeWhile(update < 4)', takeWhile((e: { update: number }) => e.update < 4), 4],
  ] as const)('metrics() after train: %s stops training as soon as the events are enough (issue 8 bug)', async (_, stop, need) => {
    const model = linear(3, 2);
    const before = tf.memory().numTensors;
    const { source, made } = counted(timing, batchOf(4));
    let last: TrainStep | undefined;
    const run = source.pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.01 }), accumulationSteps: 1 }));
    const events = await lastValueFrom(
      run.pipe(
        map((s) => (last = s)),
        metrics({ evaluate: () => ({ testLoss: 0, testAccuracy: 0 }), examplesPerEpoch: 1000 }),
        stop as OperatorFunction<unknown, unknown>,
        toArray(),
      ),
    );
    expect(events.length).toBeLessThanOrEqual(5);
    expect(made()).toBe(need);
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });

  it('tapMetrics(): 5 steps need 5 batches', async () => {
    const model = linear(3, 2);
    const before = tf.memory().numTensors;
    const { source, made } = counted(timing, batchOf(4));
    const heard: unknown[] = [];
    const out = await stopped(
      source,
      (batches: Observable<Batch>) => batches.pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.01 }), accumulationSteps: 1 }), tapMetrics((e) => heard.push(e))),
      take(5),
      (steps) => disposeStep(steps.at(-1)),
    );
    expect(out).toHaveLength(5);
    expect(made()).toBe(5);
    expect(heard).toHaveLength(5); // one update event per step (no evaluate given)
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });
});
