// Regressions for issue 13's stream defects (1, 2, 3, 5): each test failed before its fix.
import * as tf from '@tensorflow/tfjs';
import { Subject, from, lastValueFrom, map, take, tap, toArray, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accumulate } from '../../lib/accumulate/accumulate.js';
import type { Batch } from '../../lib/batch/types.js';
import type { GradientSample } from '../../lib/gradients/types.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { NonFiniteGradientError } from '../../lib/errors/NonFiniteGradientError.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import type { Loss, Model } from '../../lib/models/types.js';
import { metrics } from '../../lib/monitor/metrics.js';
import type { MetricEvent } from '../../lib/monitor/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { disposeStep, linear } from '../support/fixtures.js';

/** The model: one scalar weight, y = x·w. */
const scalarModel = (): Model => ({ params: { w: tf.scalar(1) }, apply: (p, xs) => tf.mul(xs, p['w']!) });
const batchOf = (values: ReadonlyArray<number>): Batch => ({ xs: tf.tensor1d(values.slice()), ys: tf.zeros([values.length]) });
const ones = (n = 4): Batch => batchOf(Array.from({ length: n }, () => 1));
const sgdTrain = (model: Model, extra: { microBatchSize?: number; accumulationSteps?: number; nonFinite?: 'skip-update' } = {}) =>
  train({ model, loss: meanSquaredError, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1, ...extra });

describe.each([undefined, 2])('defect 1: a batch pushed from inside a subscriber (microBatchSize %s)', (microBatchSize) => {
  const options = microBatchSize === undefined ? {} : { microBatchSize };

  it('gives steps in order, each with live params, and the same params as feeding one at a time', () => {
    const model = scalarModel();
    const before = tf.memory().numTensors;
    const source = new Subject<Batch>();
    let fed = 1;
    const seen: Array<[number, number]> = [];
    let last: TrainStep | undefined;
    source
      .pipe(
        sgdTrain(model, options),
        tap(() => {
          if (fed++ < 3) source.next(ones());
        }),
      )
      .subscribe({ next: (s) => ((last = s), seen.push([s.step, s.params['w']!.dataSync()[0]!])), error: (e: unknown) => seen.push([-1, Number(e)]) });
    source.next(ones());
    source.complete();
    // w ← w − 0.1·mean(2·x·(x·w)) = 0.8·w per update (one window per batch without a split; with
    // microBatchSize 2 each window holds 2 examples with the same gradient, so the same factor).
    const factor = 0.8;
    const perBatch = microBatchSize === undefined ? 1 : 2;
    const expected = Array.from({ length: 3 * perBatch }, (_, i) => [i + 1, factor ** (i + 1)] as [number, number]);
    expect(seen.map(([s]) => s)).toEqual(expected.map(([s]) => s));
    seen.forEach(([, w], i) => expect(w).toBeCloseTo(expected[i]![1], 5));
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    model.params['w']!.dispose();
  });

  it('gives metric events in order: each update followed by its own evaluation, no disposed tensor read', async () => {
    const model = scalarModel();
    const before = tf.memory().numTensors;
    const source = new Subject<Batch>();
    let fed = 1;
    let last: TrainStep | undefined;
    const events = lastValueFrom(
      source.pipe(
        sgdTrain(model, options),
        tap((s) => {
          last = s;
          if (fed++ < 3) source.next(ones());
        }),
        metrics({ examplesPerEpoch: 4, evaluate: (p) => ({ testLoss: p['w']!.dataSync()[0]!, testAccuracy: 0 }) }),
        toArray(),
      ),
    );
    source.next(ones());
    source.complete();
    const labels = (await events).map((e) => `${e.kind[0]}${e.update}`);
    expect(labels).toEqual(
      microBatchSize === undefined ? ['u1', 'e1', 'u2', 'e2', 'u3', 'e3'] : ['u1', 'u2', 'e2', 'u3', 'u4', 'e4', 'u5', 'u6', 'e6'],
    );
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    model.params['w']!.dispose();
  });
});

describe('defect 2: a batch queued behind another (pushed from inside a subscriber) is freed when the stream ends', () => {
  // Batch 1 is split in two; its first micro-batch closes a window, whose step's subscriber pushes batch 2,
  // which must wait for batch 1's second micro-batch. The stream then ends while batch 2 waits.
  const run = (end: 'take' | 'error' | 'unsubscribe'): { error: unknown } => {
    const model = scalarModel();
    const source = new Subject<Batch>();
    const result: { error: unknown } = { error: undefined };
    let last: TrainStep | undefined;
    const handle: { subscription?: Subscription } = {};
    let pushed = false;
    const steps = source.pipe(
      sgdTrain(model, { microBatchSize: 2 }),
      tap((s) => {
        last = s;
        if (!pushed) {
          pushed = true;
          source.next(ones());
          if (end === 'unsubscribe') handle.subscription?.unsubscribe();
        }
      }),
    );
    handle.subscription = (end === 'take' ? steps.pipe(take(1)) : steps).subscribe({ error: (e: unknown) => (result.error = e) });
    // under 'error', batch 1's second micro-batch is non-finite: the stream fails while batch 2 waits
    source.next(end === 'error' ? batchOf([1, 1, Number.NaN, 1]) : ones());
    disposeStep(last);
    model.params['w']!.dispose();
    return result;
  };

  it.each(['take', 'error', 'unsubscribe'] as const)('on %s: no tensor is left', (end) => {
    const before = tf.memory().numTensors;
    const { error } = run(end);
    if (end === 'error') expect(error).toBeInstanceOf(NonFiniteGradientError);
    else expect(error).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("defect 3: metrics evaluates an epoch whose end falls inside a window dropped by 'skip-update'", () => {
  it('gives epoch 1 its evaluation, on the first parameters after its end, and epoch 2 its own', async () => {
    const model = scalarModel();
    const before = tf.memory().numTensors;
    let last: TrainStep | undefined;
    const scored: number[] = [];
    const events = await lastValueFrom(
      from([ones(), batchOf([1, Number.NaN, 1, 1]), ones()]).pipe(
        sgdTrain(model, { nonFinite: 'skip-update' }),
        tap((s) => (last = s)),
        metrics({
          examplesPerEpoch: 8,
          evaluate: (p) => {
            scored.push(p['w']!.dataSync()[0]!);
            return { testLoss: 0, testAccuracy: 0 };
          },
        }),
        toArray(),
      ),
    );
    const labels = (e: MetricEvent) => `${e.kind === 'update' ? 'u' : 'e'}${e.update}@${e.epoch}`;
    // update 2 began in epoch 2; epoch 1 ended in the dropped window between updates 1 and 2, when the
    // parameters were update 1's, which metrics cannot see any more: it scores update 2's, and says so.
    expect(events.map(labels)).toEqual(['u1@1', 'u2@2', 'e2@1', 'e2@2']);
    expect(scored).toHaveLength(1); // one evaluation per update, reported for both epochs
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    model.params['w']!.dispose();
  });
});

describe('defect 5: a { sum, count } loss whose count is a tensor the caller owns', () => {
  it('leaves the count alive, so every micro-batch can use it, and trains as with a number', async () => {
    const count = tf.scalar(2);
    const sumOf = (labels: tf.Tensor, predictions: tf.Tensor) => tf.sum(tf.squaredDifference(labels, predictions)) as tf.Scalar;
    const withTensor: Loss = (labels, predictions) => ({ sum: sumOf(labels, predictions), count });
    const withNumber: Loss = (labels, predictions) => ({ sum: sumOf(labels, predictions), count: 2 });
    const runWith = async (loss: Loss) => {
      const model = scalarModel();
      const before = tf.memory().numTensors;
      const result: number[][] = [];
      const steps = await lastValueFrom(
        from([ones(), ones()]).pipe(
          train({ model, loss, optimizer: sgd({ learningRate: 0.1 }), microBatchSize: 2, accumulationSteps: 2 }),
          tap((s) => result.push([s.loss, s.params['w']!.dataSync()[0]!])),
          toArray(),
        ),
      );
      disposeStep(steps.at(-1));
      expect(tf.memory().numTensors).toBe(before);
      model.params['w']!.dispose();
      return result;
    };
    const [tensorRun, numberRun] = [await runWith(withTensor), await runWith(withNumber)];
    expect(tensorRun).toHaveLength(2);
    expect(tensorRun).toEqual(numberRun);
    expect(count.isDisposed).toBe(false);
    expect(count.dataSync()[0]).toBe(2);
    count.dispose();
  });

  it('leaves a caller-owned sum alive when the loss does not depend on the parameters (and fails)', async () => {
    const sum = tf.scalar(3);
    const model = scalarModel();
    const before = tf.memory().numTensors;
    const error = await lastValueFrom(
      from([ones()]).pipe(train({ model, loss: () => ({ sum, count: 1 }), optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(sum.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    sum.dispose();
    model.params['w']!.dispose();
  });
});

describe('what counts as a skipped update', () => {
  it("counts a window whose items were all masked out (count 0) under 'error', and makes no update for it", async () => {
    const model = scalarModel();
    const before = tf.memory().numTensors;
    let masked = false;
    const loss: Loss = (labels, predictions) => ({ sum: tf.sum(tf.squaredDifference(labels, predictions)) as tf.Scalar, count: masked ? 0 : labels.shape[0]! });
    const steps = await lastValueFrom(
      from([0, 1, 2]).pipe(
        map((i) => ((masked = i === 1), ones())),
        train({ model, loss, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 }),
        toArray(),
      ),
    );
    expect(steps.map((s) => [s.step, s.skippedUpdates, s.state.skippedUpdates])).toEqual([[1, 0, 0], [2, 1, 1]]);
    disposeStep(steps.at(-1));
    expect(tf.memory().numTensors).toBe(before);
    model.params['w']!.dispose();
  });
});

describe('accumulate keeps order under re-entrant pushes too', () => {
  const sample = (g: number): GradientSample => ({ grads: { w: tf.scalar(g) }, loss: tf.scalar(0), count: 1, examples: 1 });

  it('a sample pushed from inside a window\'s subscriber waits: windows come out in order', () => {
    const before = tf.memory().numTensors;
    const source = new Subject<GradientSample>();
    const order: number[] = [];
    let next = 2;
    source
      .pipe(
        accumulate(1),
        tap(() => {
          if (next <= 3) source.next(sample(next++));
        }),
      )
      .subscribe((w) => {
        if (!w.skipped) {
          order.push(w.grads['w']!.dataSync()[0]!);
          disposeTree(w.grads);
        }
      });
    source.next(sample(1));
    expect(order).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a sample still waiting when take(1) ends the stream is freed', () => {
    const before = tf.memory().numTensors;
    const source = new Subject<GradientSample>();
    let pushed = false;
    source
      .pipe(
        accumulate(1),
        tap(() => {
          if (pushed) return;
          pushed = true;
          source.next(sample(2));
        }),
        take(1),
      )
      .subscribe((w) => w.skipped || disposeTree(w.grads));
    source.next(sample(1));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a loss given by name', () => {
  it('a string loss is refused with a ConfigError that suggests lossFromName', () => {
    const model = linear(3, 2);
    expect(() => train({ model, loss: 'categoricalCrossentropy' as never, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 })).toThrow(
      /train: loss must be a Loss function: for a Keras loss name, pass lossFromName\("categoricalCrossentropy"\)/,
    );
    tf.dispose(Object.values(model.params));
  });
});
