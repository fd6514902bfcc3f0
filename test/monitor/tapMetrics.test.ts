import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { Subject, connect, connectable, count, filter, from, lastValueFrom, map, share, take, tap, throwError, toArray, zip, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../lib/batch/types.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import type { Model } from '../../lib/models/types.js';
import { metrics } from '../../lib/monitor/metrics.js';
import { tapMetrics } from '../../lib/monitor/tapMetrics.js';
import type { Evaluation, MetricEvent } from '../../lib/monitor/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { Params } from '../../lib/params/types.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { batchData, disposeStep, linear, mse, toBatch } from '../support/fixtures.js';
import { fakeStep } from '../support/steps.js';

const memory = () => ({ numTensors: 7, numBytes: 280 });
const fixed = { clock: () => 0, memory };
const score: Evaluation = { testLoss: 0.5, testAccuracy: 0.9 };
const label = (e: MetricEvent) => `${e.kind === 'update' ? 'u' : 'e'}${e.update}@${e.epoch}`;

/** Steps of the given window sizes, with gaps of dropped examples before some of them. */
const stepsFrom = (windows: ReadonlyArray<{ examples: number; dropped: number }>): TrainStep[] => {
  let seen = 0;
  return windows.map(({ examples, dropped }, i) => {
    seen += dropped + examples;
    return fakeStep({ step: i + 1, examples, seen, loss: 1 / (i + 1) });
  });
};

/** A counted run of `count` synchronous batches through train, on a fresh linear model. */
const countedRun = (count: number, accumulationSteps = 1) => {
  const model = linear(3, 2);
  let made = 0;
  let applied = 0;
  const counted: Model = { params: model.params, apply: (p, xs) => (applied++, model.apply(p, xs)) };
  const batches: Observable<Batch> = from(Array.from({ length: count }, (_, i) => i)).pipe(map((i) => (made++, toBatch(batchData(4, 3, 2, i)))));
  const run = batches.pipe(train({ model: counted, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps }));
  return { run, stats: () => ({ made, applied }), free: () => tf.dispose(Object.values(model.params)) };
};

describe('tapMetrics', () => {
  it('reports to the side channel exactly what metrics() emits, for any steps (dropped windows included)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ examples: fc.integer({ min: 1, max: 9 }), dropped: fc.constantFrom(0, 0, 3, 10) }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 20 }),
        async (windows, examplesPerEpoch) => {
          const steps = stepsFrom(windows);
          const options = { ...fixed, examplesPerEpoch, evaluate: () => score };
          const expected = await lastValueFrom(from(steps).pipe(metrics(options), toArray()));
          const side: MetricEvent[] = [];
          const passed = await lastValueFrom(from(steps).pipe(tapMetrics((e) => side.push(e), options), toArray()));
          expect(passed).toEqual(steps);
          passed.forEach((s, i) => expect(s).toBe(steps[i]));
          expect(side).toEqual(expected);
        },
      ),
    );
  });

  it('evaluates every epoch that ends exactly once, in order, and each update at most once (any steps)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ examples: fc.integer({ min: 1, max: 9 }), dropped: fc.constantFrom(0, 0, 3, 10) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 20 }),
        async (windows, examplesPerEpoch) => {
          const steps = stepsFrom(windows);
          const scored: Params[] = [];
          const evaluate = (p: Params) => (scored.push(p), score);
          const events = await lastValueFrom(from(steps).pipe(metrics({ ...fixed, examplesPerEpoch, evaluate }), toArray()));
          const evaluated = events.flatMap((e) => (e.kind === 'evaluation' ? [e.epoch] : []));
          const seen = steps.at(-1)!.state.examples;
          const lastEpoch = steps.at(-1)!.state.examples - steps.at(-1)!.examples;
          const ended = Math.floor(seen / examplesPerEpoch);
          const unfinished = 1 + Math.floor(lastEpoch / examplesPerEpoch);
          const expected = Array.from({ length: Math.max(ended, unfinished) }, (_, i) => i + 1);
          expect(evaluated).toEqual(expected);
          expect(new Set(scored).size).toBe(scored.length);
          // an evaluation scores an update at or after its epoch's end
          for (const e of events)
            if (e.kind === 'evaluation' && e.epoch <= ended) expect(steps[e.update - 1]!.state.examples).toBeGreaterThanOrEqual(e.epoch * examplesPerEpoch);
        },
      ),
    );
  });

  it('passes the steps on, so the last one (the trained params) stays the caller\'s, and frees nothing else', async () => {
    const { run, free } = countedRun(6, 2);
    const before = tf.memory().numTensors;
    const events: MetricEvent[] = [];
    const last = await lastValueFrom(run.pipe(tapMetrics((e) => events.push(e), { ...fixed, examplesPerEpoch: 8, evaluate: () => score })));
    expect(last.step).toBe(3);
    expect(last.params['w']!.isDisposed).toBe(false);
    expect(events.map(label)).toEqual(['u1@1', 'e1@1', 'u2@2', 'e2@2', 'u3@3', 'e3@3']);
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    free();
  });

  it('fans one run out to several consumers through a Subject, training once on a synchronous source', async () => {
    const { run, stats, free } = countedRun(30);
    const before = tf.memory().numTensors;
    const events = new Subject<MetricEvent>();
    const consumers = [
      lastValueFrom(events.pipe(filter((e) => e.kind === 'update'), toArray())),
      lastValueFrom(events.pipe(filter((e) => e.kind === 'evaluation'), toArray())),
      lastValueFrom(events.pipe(toArray())),
    ];
    const last = await lastValueFrom(run.pipe(tapMetrics(events, { ...fixed, examplesPerEpoch: 40, evaluate: () => score })));
    const [updates, evaluations, all] = await Promise.all(consumers);
    expect(stats()).toEqual({ made: 30, applied: 30 });
    expect(updates).toHaveLength(30);
    expect(evaluations!.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(all).toHaveLength(33);
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    free();
  });

  it('completes the side channel, after evaluating the last update, when the run is unsubscribed by take(n)', async () => {
    const { run, stats, free } = countedRun(500);
    const before = tf.memory().numTensors;
    const events = new Subject<MetricEvent>();
    const heard = lastValueFrom(events.pipe(toArray()));
    const steps = await lastValueFrom(run.pipe(tapMetrics(events, { ...fixed, examplesPerEpoch: 1000, evaluate: () => score }), take(5), toArray()));
    expect((await heard).map(label)).toEqual(['u1@1', 'u2@1', 'u3@1', 'u4@1', 'u5@1', 'e5@1']);
    expect(stats()).toEqual({ made: 5, applied: 5 });
    disposeStep(steps.at(-1));
    expect(tf.memory().numTensors).toBe(before);
    free();
  });

  it('passes the run\'s error to the side channel and down the stream', async () => {
    const failure = new Error('boom');
    const events = new Subject<MetricEvent>();
    const heard = lastValueFrom(events).catch((e: unknown) => e);
    await expect(lastValueFrom(throwError(() => failure).pipe(tapMetrics<unknown>(events)))).rejects.toBe(failure);
    expect(await heard).toBe(failure);
  });

  it('fails the run, and tells the side channel, when evaluate throws', async () => {
    const failure = new Error('out of memory');
    const events = new Subject<MetricEvent>();
    const heard = lastValueFrom(events.pipe(toArray())).catch((e: unknown) => e);
    const steps = stepsFrom([{ examples: 4, dropped: 0 }, { examples: 4, dropped: 0 }]);
    const run = from(steps).pipe(tapMetrics(events, { ...fixed, examplesPerEpoch: 4, evaluate: () => { throw failure; } }), toArray());
    await expect(lastValueFrom(run)).rejects.toBe(failure);
    expect(await heard).toBe(failure);
  });

  it('passes each step on at its own frame, after reporting its events at that frame (marbles)', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const [a, b, c] = stepsFrom([{ examples: 50, dropped: 0 }, { examples: 50, dropped: 0 }, { examples: 50, dropped: 0 }]) as [TrainStep, TrainStep, TrainStep];
      const heard: string[] = [];
      const steps = cold('a 9ms b 9ms c |', { a, b, c }).pipe(
        tapMetrics((e) => heard.push(`${label(e)}@${scheduler.now()}`), { clock: () => scheduler.now(), memory, examplesPerEpoch: 100, evaluate: () => score }),
        map((s) => (heard.push(`step${s.step}@${scheduler.now()}`), s.step)),
      );
      expectObservable(steps).toBe('a 9ms b 9ms c |', { a: 1, b: 2, c: 3 });
      scheduler.flush();
      expect(heard).toEqual(['u1@1@0', 'step1@0', 'u2@1@10', 'e2@1@10', 'step2@10', 'u3@2@20', 'step3@20', 'e3@2@21']);
    });
  });

  it('rejects an invalid option or observer before anything runs, naming tapMetrics', () => {
    expect(() => tapMetrics(() => undefined, { examplesPerEpoch: 0 })).toThrow(new ConfigError('tapMetrics', 'examplesPerEpoch', 0, 'an integer >= 1'));
    expect(() => tapMetrics(42 as unknown as () => void)).toThrow(ConfigError);
  });
});

describe('fanning a run out with RxJS (what the docs show)', () => {
  it('connectable: every consumer subscribes, then connect() runs the training once, on a synchronous source', async () => {
    const { run, stats, free } = countedRun(12);
    const before = tf.memory().numTensors;
    let last: TrainStep | undefined;
    const events = connectable(run.pipe(tap((s) => (last = s)), metrics({ ...fixed, examplesPerEpoch: 16, evaluate: () => score })));
    const consumers = [1, 2, 3].map(() => lastValueFrom(events.pipe(toArray())));
    events.connect();
    const heard = await Promise.all(consumers);
    expect(stats()).toEqual({ made: 12, applied: 12 });
    expect(heard.map((h) => h.length)).toEqual([15, 15, 15]);
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    free();
  });

  it('connect(): consumers defined on the shared stream inside the selector, the training run once', async () => {
    const { run, stats, free } = countedRun(12);
    const before = tf.memory().numTensors;
    let last: TrainStep | undefined;
    const counts = await lastValueFrom(
      run.pipe(
        tap((s) => (last = s)),
        metrics({ ...fixed, examplesPerEpoch: 16, evaluate: () => score }),
        connect((shared) => zip(shared.pipe(filter((e) => e.kind === 'update'), count()), shared.pipe(filter((e) => e.kind === 'evaluation'), count()))),
      ),
    );
    expect(counts).toEqual([12, 3]);
    expect(stats()).toEqual({ made: 12, applied: 12 });
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    free();
  });

  it('share() is not a way: with a synchronous source, each subscriber runs the whole training again', async () => {
    const { run, stats, free } = countedRun(4);
    const steps: TrainStep[] = [];
    const events = run.pipe(tap((s) => steps.push(s)), metrics(fixed), share());
    await Promise.all([1, 2, 3].map(() => lastValueFrom(events.pipe(toArray()))));
    expect(stats()).toEqual({ made: 12, applied: 12 });
    // three runs: each one's last step is the caller's
    [3, 7, 11].forEach((i) => disposeStep(steps[i]));
    free();
  });
});
