// Issue 13, acceptance 2: whatever the feeding pattern (batches pushed into a Subject from inside the
// subscribers of the steps or of the metric events, synchronously or later, from the event loop), the
// steps and the metric events come in order, and the run is the one that feeding the same batches one
// after another gives.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { Subject, from, lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../lib/batch/types.js';
import { metrics } from '../../lib/monitor/metrics.js';
import type { MetricEvent } from '../../lib/monitor/types.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import type { TrainOptions } from '../../lib/train/validateTrainOptions.js';
import type { TrainStep } from '../../lib/train/types.js';
import { batchData, disposeStep, linear, mse, toBatch } from '../support/fixtures.js';

/** What a subscriber does when it receives a value: push `now` batches at once, and `later` from the event loop. */
interface Feeding {
  readonly now: number;
  readonly later: number;
  readonly asTask: boolean; // setTimeout (a task) or queueMicrotask
}

const feeding: fc.Arbitrary<Feeding> = fc.record({ now: fc.integer({ min: 0, max: 2 }), later: fc.integer({ min: 0, max: 2 }), asTask: fc.boolean() });

const plan = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 10 }),
  microBatchSize: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  accumulationSteps: fc.integer({ min: 1, max: 3 }),
  examplesPerEpoch: fc.integer({ min: 1, max: 12 }),
  onStep: fc.array(feeding, { minLength: 1, maxLength: 4 }),
  onEvent: fc.array(feeding, { minLength: 1, maxLength: 4 }),
});

type Plan = typeof plan extends fc.Arbitrary<infer P> ? P : never;

const batchesOf = (sizes: ReadonlyArray<number>): Batch[] => sizes.map((n, i) => toBatch(batchData(n, 3, 2, i + 1)));
const score = (p: TrainStep['params']) => ({ testLoss: p['w']!.dataSync()[0]!, testAccuracy: 0 });

interface Seen {
  readonly steps: number[];
  readonly losses: number[];
  readonly params: number[][];
  readonly events: MetricEvent[];
  readonly last: TrainStep | undefined;
}

/** Trains with the batches fed as `p` says; reads every step's params as it arrives. */
async function fedRun(p: Plan, options: TrainOptions<unknown>): Promise<Seen> {
  const all = batchesOf(p.sizes);
  const source = new Subject<Batch>();
  let fed = 0;
  let pending = 0;
  const feedOne = () => {
    if (fed < all.length) source.next(all[fed++]!);
  };
  const react = (f: Feeding) => {
    for (let i = 0; i < f.now; i++) feedOne();
    for (let i = 0; i < f.later; i++) {
      pending += 1;
      const run = () => ((pending -= 1), feedOne());
      if (f.asTask) setTimeout(run, 0);
      else queueMicrotask(run);
    }
  };
  const seen = { steps: [] as number[], losses: [] as number[], params: [] as number[][], events: [] as MetricEvent[], last: undefined as TrainStep | undefined };
  let stepCount = 0;
  let eventCount = 0;
  const done = lastValueFrom(
    source.pipe(
      train(options),
      tap((s) => {
        seen.last = s;
        seen.steps.push(s.step);
        seen.losses.push(s.loss);
        react(p.onStep[stepCount++ % p.onStep.length]!);
        // read after feeding: a batch pushed above must not have replaced (and freed) these params
        seen.params.push(Array.from(s.params['w']!.dataSync()));
      }),
      metrics({ examplesPerEpoch: p.examplesPerEpoch, evaluate: score, clock: () => 0 }),
      tap((e) => {
        seen.events.push(e);
        react(p.onEvent[eventCount++ % p.onEvent.length]!);
      }),
      toArray(),
    ),
  );
  done.catch(() => undefined); // awaited below; a failure must not count as unhandled meanwhile
  // The driver: from the event loop, one batch at a time, until every batch has been fed.
  feedOne();
  while (fed < all.length || pending > 0) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (pending === 0) feedOne();
  }
  source.complete();
  await done;
  return seen;
}

describe('re-entrant and asynchronous feeding', () => {
  it('gives steps and metric events in order, equal to feeding the batches one by one (any pattern, with and without microBatchSize)', async () => {
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const model = linear(3, 2);
        const options: TrainOptions<unknown> = {
          model,
          loss: mse,
          optimizer: sgd({ learningRate: 0.1 }),
          accumulationSteps: p.accumulationSteps,
          ...(p.microBatchSize === undefined ? {} : { microBatchSize: p.microBatchSize }),
        };
        const before = tf.memory().numTensors;

        const reference = await lastValueFrom(
          from(batchesOf(p.sizes)).pipe(train(options), toArray()),
        ).then(async (steps) => {
          const events = await lastValueFrom(from(steps).pipe(metrics({ examplesPerEpoch: p.examplesPerEpoch, clock: () => 0 }), toArray()));
          const out = { steps: steps.map((s) => s.step), losses: steps.map((s) => s.loss), last: Array.from(steps.at(-1)!.params['w']!.dataSync()), events };
          disposeStep(steps.at(-1));
          return out;
        });

        const seen = await fedRun(p, options);

        // steps: 1, 2, 3, ... as fed one by one, with the same losses and the same final params
        expect(seen.steps).toEqual(reference.steps);
        expect(seen.losses).toEqual(reference.losses);
        expect(seen.params.at(-1)).toEqual(reference.last);
        // metric events: each update once, in order, and each evaluation right after the update it scores
        const updates = seen.events.filter((e) => e.kind === 'update');
        expect(updates.map((e) => e.update)).toEqual(reference.steps);
        let latest = 0;
        for (const e of seen.events) {
          if (e.kind === 'update') latest = e.update;
          else expect(e.update).toBe(latest);
        }
        expect(updates.map((e) => [e.update, e.epoch, e.examplesSeen])).toEqual(
          reference.events.flatMap((e) => (e.kind === 'update' ? [[e.update, e.epoch, e.examplesSeen]] : [])),
        );
        disposeStep(seen.last);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(model.params));
      }),
      { numRuns: 40 },
    );
  });
});
