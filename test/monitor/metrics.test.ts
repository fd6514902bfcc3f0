import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { Subject, finalize, from, lastValueFrom, map, of, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { metrics } from '../../lib/monitor/metrics.js';
import type { MetricEvent } from '../../lib/monitor/types.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import type { TrainStep } from '../../lib/train/types.js';
import { expectNoLeaks } from '../support/leaks.js';
import { fakeStep, stepsOf } from '../support/steps.js';

const memory = () => ({ numTensors: 7, numBytes: 280 });
const score = { testLoss: 0.5, testAccuracy: 0.9 };
const kinds = (events: ReadonlyArray<MetricEvent>) => events.map((e) => (e.kind === 'update' ? `u${e.epoch}` : `e${e.epoch}`));

const collect = (steps: ReadonlyArray<TrainStep>, options: Parameters<typeof metrics>[0]) =>
  lastValueFrom(from(steps).pipe(metrics({ memory, clock: () => 0, ...options }), toArray()));

describe('metrics', () => {
  it('reports a step as an update event with its numbers, throughput and memory (hand-worked)', () => {
    let now = 1000;
    const steps = new Subject<TrainStep>();
    const events: MetricEvent[] = [];
    steps.pipe(metrics({ clock: () => now, memory })).subscribe((e) => events.push(e));
    now = 1128; // 256 examples in 128 ms: 2000 examples per second
    steps.next(fakeStep({ step: 1, examples: 256, seen: 256, loss: 2.3, gradNorm: 4, learningRate: 0.001 }));
    expect(events).toEqual([
      {
        kind: 'update',
        update: 1,
        epoch: 1,
        examplesSeen: 256,
        loss: 2.3,
        gradNorm: 4,
        learningRate: 0.001,
        skippedMicroBatches: 0,
        examplesPerSecond: 2000,
        msPerUpdate: 128,
        numTensors: 7,
        numBytes: 280,
        time: 1128,
      },
    ]);
  });

  it('leaves learningRate out when the optimizer has none', async () => {
    const [event] = await collect([fakeStep({ step: 1, examples: 4, seen: 4 })], {});
    expect(event).not.toHaveProperty('learningRate');
  });

  it('reads tensor memory from tf.memory() by default', async () => {
    const kept = tf.zeros([3]);
    const [event] = await lastValueFrom(of(fakeStep({ step: 1, examples: 1, seen: 1 })).pipe(metrics(), toArray()));
    expect(event?.kind === 'update' && event.numTensors).toBe(tf.memory().numTensors);
    kept.dispose();
  });

  it('labels each update with the epoch its window began in, and evaluates after a window that ends an epoch', async () => {
    // windows of 256 over epochs of 600: the 3rd window (513..768) crosses 600, the 5th (1025..1280) crosses 1200
    const events = await collect(stepsOf(256, 5), { examplesPerEpoch: 600, evaluate: () => score });
    expect(kinds(events)).toEqual(['u1', 'u1', 'u1', 'e1', 'u2', 'u2', 'e2']);
    expect(events[3]).toEqual({ kind: 'evaluation', update: 3, epoch: 1, ...score, time: 0 });
  });

  it('evaluates a window that ends exactly on an epoch boundary once, not again at completion', async () => {
    const evaluate = vi.fn(() => score);
    const events = await collect(stepsOf(100, 4), { examplesPerEpoch: 200, evaluate });
    expect(kinds(events)).toEqual(['u1', 'u1', 'e1', 'u2', 'u2', 'e2']);
    expect(evaluate).toHaveBeenCalledTimes(2);
  });

  it('evaluates the last parameters at completion when the last update did not end an epoch (an interrupted run)', async () => {
    const events = await collect(stepsOf(100, 3), { examplesPerEpoch: 200, evaluate: () => score });
    expect(kinds(events)).toEqual(['u1', 'u1', 'e1', 'u2', 'e2']);
    expect(events[4]).toMatchObject({ kind: 'evaluation', update: 3 });
  });

  it('evaluates nothing for a stream with no update', async () => {
    const evaluate = vi.fn(() => score);
    expect(await collect([], { examplesPerEpoch: 10, evaluate })).toEqual([]);
    expect(evaluate).not.toHaveBeenCalled();
  });

  it('scores a step\'s own parameters, synchronously within its emission', async () => {
    const params = { w: tf.ones([2]) };
    let seen: number[] = [];
    await expectNoLeaks(() =>
      collect([fakeStep({ step: 1, examples: 2, seen: 2, params })], {
        examplesPerEpoch: 2,
        evaluate: (p) => {
          seen = Array.from(p['w']!.dataSync());
          return score;
        },
      }),
    );
    expect(seen).toEqual([1, 1]);
    params.w.dispose();
  });

  it('leaves evaluation time out of the next update\'s throughput', () => {
    let now = 0;
    const steps = new Subject<TrainStep>();
    const events: MetricEvent[] = [];
    steps
      .pipe(
        metrics({
          clock: () => now,
          memory,
          examplesPerEpoch: 10,
          evaluate: () => {
            now += 5000; // a slow evaluation
            return score;
          },
        }),
      )
      .subscribe((e) => events.push(e));
    now = 100;
    steps.next(fakeStep({ step: 1, examples: 10, seen: 10 }));
    now += 100;
    steps.next(fakeStep({ step: 2, examples: 10, seen: 20 }));
    const updates = events.filter((e) => e.kind === 'update');
    expect(updates.map((e) => e.msPerUpdate)).toEqual([100, 100]);
    expect(updates.map((e) => e.examplesPerSecond)).toEqual([100, 100]);
  });

  it('sends an error thrown by evaluate down the error channel, carrying it', async () => {
    const failure = new Error('out of memory');
    const run = collect(stepsOf(10, 2), { examplesPerEpoch: 10, evaluate: () => { throw failure; } });
    await expect(run).rejects.toBe(failure);
  });

  it('passes an upstream error through after the events before it', async () => {
    const events: MetricEvent[] = [];
    const failure = new Error('boom');
    const source = new Subject<TrainStep>();
    const done = lastValueFrom(source.pipe(metrics({ memory, clock: () => 0 }), map((e) => events.push(e))));
    source.next(fakeStep({ step: 1, examples: 1, seen: 1 }));
    source.error(failure);
    await expect(done).rejects.toBe(failure);
    expect(events.length).toBe(1);
    await expect(lastValueFrom(throwError(() => failure).pipe(metrics()))).rejects.toBe(failure);
  });

  it('unsubscribes from train when its consumer unsubscribes', () => {
    let released = false;
    const source = new Subject<TrainStep>();
    const subscription = source.pipe(finalize(() => (released = true)), metrics()).subscribe();
    subscription.unsubscribe();
    expect(released).toBe(true);
    expect(source.observed).toBe(false);
  });

  it('emits each update at its step\'s frame, and the epoch\'s evaluation in the same frame (marbles)', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const [a, b, c] = stepsOf(50, 3) as [TrainStep, TrainStep, TrainStep];
      const steps = cold('a 9ms b 9ms c |', { a, b, c });
      const events = steps.pipe(
        metrics({ clock: () => scheduler.now(), memory, examplesPerEpoch: 100, evaluate: () => score }),
        map((e) => `${e.kind[0]}${e.update}@${e.time}`),
      );
      expectObservable(events).toBe('a 9ms (bc) 6ms d (e|)', { a: 'u1@0', b: 'u2@10', c: 'e2@10', d: 'u3@20', e: 'e3@21' });
    });
  });

  it('rejects examplesPerEpoch 0 before anything runs', () => {
    expect(() => metrics({ examplesPerEpoch: 0 })).toThrow(new ConfigError('metrics', 'examplesPerEpoch', 0, 'an integer >= 1'));
  });
});
