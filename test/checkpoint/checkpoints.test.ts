import * as tf from '@tensorflow/tfjs';
import { concatMap, delay, Observable, of, Subject, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../lib/batch/types.js';
import { checkpoints } from '../../lib/checkpoint/checkpoints.js';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { memoryStorage } from '../../lib/checkpoint/memoryStorage.js';
import type { CheckpointStorage } from '../../lib/checkpoint/types.js';
import { CheckpointError } from '../../lib/errors/CheckpointError.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep, TrainStopped } from '../../lib/train/types.js';
import { batchData, collect, mlp, mse, toBatch } from '../support/fixtures.js';
import { bitsOf } from './support.js';

const data = batchData(16, 3, 2, 3);
/** 16 batches of one example; `after` batches in, `stop` fires (as a signal would, between batches). */
const source = (stop?: { after: number; subject: Subject<void> }) =>
  new Observable<Batch>((subscriber) => {
    for (let b = 0; b < 16 && !subscriber.closed; b++) {
      subscriber.next(toBatch(data, b, b + 1));
      if (stop && b + 1 === stop.after) stop.subject.next();
    }
    subscriber.complete();
  });

const setup = () => {
  const model = mlp(3, 4, 2, 9);
  const options = { model, loss: mse, optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }), accumulationSteps: 2 };
  return { model, options, fingerprint: fingerprintOf(options) };
};
type Event = TrainStep<unknown> | TrainStopped<unknown>;
const lastStep = (events: Event[]) => events.filter((e): e is TrainStep<unknown> => !('stopped' in e)).at(-1)!;

describe('checkpoints', () => {
  it('saves every k updates and the last state at completion, keeps the newest K, and frees its copies', async () => {
    const { model, options, fingerprint } = setup();
    const storage = memoryStorage();
    const saved: string[] = [];
    const before = tf.memory().numTensors;

    // Batches a macrotask apart, as a real source's: each save finishes before the next is due.
    const spaced = source().pipe(concatMap((b) => of(b).pipe(delay(0))));
    const events = await collect(spaced.pipe(train(options), checkpoints(storage, { fingerprint, every: 3, keep: 2, onSaved: (n) => saved.push(n) })));

    // 8 updates: saves after 3 and 6, and the last (8) at completion.
    expect(saved).toEqual(['step-000000003-000000000006', 'step-000000006-000000000012', 'step-000000008-000000000016']);
    expect(await storage.list()).toEqual(saved.slice(1));
    const last = lastStep(events);
    const loaded = await loadCheckpoint(storage, { fingerprint });
    expect(bitsOf(loaded.state)).toEqual(bitsOf(last.state));
    disposeTree([loaded.state, last.params, last.state.optimizerState]);
    expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
    disposeTree(model.params);
  });

  it('when training outruns the disk, a newer state replaces the one waiting, and the last is always saved', async () => {
    const { model, options, fingerprint } = setup();
    const saved: string[] = [];
    const events = await collect(source().pipe(train(options), checkpoints(memoryStorage(), { fingerprint, every: 3, onSaved: (n) => saved.push(n) })));
    // A synchronous source: the save after update 3 runs, 6 waits and is replaced by the final 8.
    expect(saved).toEqual(['step-000000003-000000000006', 'step-000000008-000000000016']);
    const last = lastStep(events);
    disposeTree([last.params, last.state.optimizerState, model.params]);
  });

  it('saves the open window of a graceful stop, mid-window', async () => {
    const { model, options, fingerprint } = setup();
    const storage = memoryStorage();
    const subject = new Subject<void>();
    const events = await collect(source({ after: 5, subject }).pipe(train({ ...options, stop: subject }), checkpoints(storage, { fingerprint })));
    const stopped = events.at(-1) as TrainStopped<unknown>;
    const loaded = await loadCheckpoint(storage, { fingerprint });
    expect(loaded.name).toBe('step-000000002-000000000005');
    expect(loaded.state.window?.microBatches).toBe(1);
    expect(bitsOf(loaded.state)).toEqual(bitsOf(stopped.state));
    disposeTree([loaded.state, stopped.state, model.params]);
  });

  it('a save that fails fails the stream with its error, and no copy leaks', async () => {
    const { model, options, fingerprint } = setup();
    const broken: CheckpointStorage = { ...memoryStorage(), write: () => Promise.reject(new CheckpointError('x', '', 'disk full')) };
    const before = tf.memory().numTensors;
    let last: Event | undefined;
    const error = await new Promise((resolve) =>
      source().pipe(train(options), checkpoints(broken, { fingerprint, every: 1 })).subscribe({ next: (e) => (last = e), error: resolve }),
    );
    expect(error).toBeInstanceOf(CheckpointError);
    const step = last as TrainStep<unknown>;
    disposeTree([step.params, step.state.optimizerState]);
    expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
    disposeTree(model.params);
  });

  it('take(n) downstream stops a synchronous source at once', async () => {
    const { model, options, fingerprint } = setup();
    let made = 0;
    const counted = new Observable<Batch>((subscriber) => {
      for (let b = 0; b < 16 && !subscriber.closed; b++) {
        made++;
        subscriber.next(toBatch(data, b, b + 1));
      }
      subscriber.complete();
    });
    const events = await collect(counted.pipe(train(options), checkpoints(memoryStorage(), { fingerprint }), take(2)));
    expect(made).toBe(4);
    const step = lastStep(events);
    disposeTree([step.params, step.state.optimizerState, model.params]);
  });

  it('rejects invalid options with a ConfigError naming the field', () => {
    const { fingerprint, model } = setup();
    expect(() => checkpoints(memoryStorage(), { fingerprint, every: 0 })).toThrow(ConfigError);
    expect(() => checkpoints(memoryStorage(), { fingerprint, seconds: -1 })).toThrow(/checkpoints: seconds/);
    disposeTree(model.params);
  });
});
