import * as tf from '@tensorflow/tfjs';
import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../lib/batch/types.js';
import { skipExamples } from '../../lib/batch/skipExamples.js';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { memoryStorage } from '../../lib/checkpoint/memoryStorage.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { adam } from '../../lib/optim/adam.js';
import { train } from '../../lib/train/train.js';
import type { TrainState, TrainStep, TrainStopped } from '../../lib/train/types.js';
import type { TrainOptions } from '../../lib/train/validateTrainOptions.js';
import { batchData, mlp, mse, toBatch } from '../support/fixtures.js';
import { bitsOf } from './support.js';

type Event = TrainStep<unknown> | TrainStopped<unknown>;

/**
 * A run's data: `batches` batches of `size` examples, made one at a time. After the batch numbered
 * `stopAfter` has gone through (synchronously), `stop` fires, as a signal handler would between batches.
 */
function source(batches: number, size: number, stop?: { readonly after: number; readonly subject: Subject<void> }): Observable<Batch> {
  const data = batchData(batches * size, 3, 2, 11);
  return new Observable<Batch>((subscriber) => {
    for (let b = 0; b < batches && !subscriber.closed; b++) {
      subscriber.next(toBatch(data, b * size, (b + 1) * size));
      if (stop && b + 1 === stop.after) stop.subject.next();
    }
    subscriber.complete();
  });
}

const N = 3;
const options = (model: ReturnType<typeof mlp>, initialState?: TrainState<unknown>): TrainOptions<unknown> => ({
  model,
  loss: mse,
  optimizer: adam({ learningRate: 0.05 }),
  accumulationSteps: N,
  microBatchSize: 2,
  ...(initialState ? { initialState } : {}),
});

/** Runs to the end (or to a stop) and returns the events; `onStep` may fire the stop. */
async function events(opts: TrainOptions<unknown>, batches: Observable<Batch>, stop: Subject<void>, onStep: (s: TrainStep<unknown>) => void = () => {}): Promise<Event[]> {
  const out: Event[] = [];
  await new Promise<void>((resolve, reject) =>
    batches.pipe(train({ ...opts, stop })).subscribe({
      next: (e) => {
        out.push(e);
        if (!('stopped' in e)) onStep(e);
      },
      error: reject,
      complete: resolve,
    }),
  );
  return out;
}

/** Saves the state the stopped run handed over, loads it back, and frees the stopped run's tensors. */
async function throughCheckpoint(stopped: TrainStopped<unknown>, opts: TrainOptions<unknown>) {
  const storage = memoryStorage();
  const fingerprint = fingerprintOf(opts);
  await saveCheckpoint(storage, { state: stopped.state, fingerprint });
  disposeTree(stopped.state);
  return loadCheckpoint(storage, { fingerprint });
}

const finalParams = (all: Event[]): TrainStep<unknown> => {
  const steps = all.filter((e): e is TrainStep<unknown> => !('stopped' in e));
  return steps[steps.length - 1]!;
};

describe('a resumed run is bit-identical to one never stopped', () => {
  // 5 batches of 5 examples, micro-batches of 2 (2, 2, 1 per batch), windows of 3: windows cross batches.
  const BATCHES = 5;
  const SIZE = 5;

  it('stopped after every update k, saved, loaded and resumed at the saved position: the same final params, bit for bit', async () => {
    const before = tf.memory().numTensors;
    const model = mlp(3, 4, 2, 5);
    const whole = await events(options(model), source(BATCHES, SIZE), new Subject());
    const reference = finalParams(whole);
    const updates = reference.step;
    expect(updates).toBe(5);

    for (let k = 1; k < updates; k++) {
      const stop = new Subject<void>();
      const first = await events(options(model), source(BATCHES, SIZE), stop, (s) => s.step === k && stop.next());
      const stopped = first[first.length - 1] as TrainStopped<unknown>;
      expect(stopped.stopped).toBe(true);
      expect(stopped.state.step).toBe(k);
      const saved = await throughCheckpoint(stopped, options(model));

      const rest = await events(options(model, saved.state), source(BATCHES, SIZE).pipe(skipExamples(saved.position.examples)), new Subject());

      expect(bitsOf(finalParams(rest).params), `stopped after update ${k}`).toEqual(bitsOf(reference.params));
      expect(finalParams(rest).step).toBe(updates);
      expect(finalParams(rest).state.examples).toBe(reference.state.examples);
      disposeTree([saved.state, finalParams(rest).state.params, finalParams(rest).state.optimizerState]);
    }
    disposeTree([reference.params, reference.state.optimizerState, model.params]);
    expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
  });

  it('stopped mid-window at every micro-batch of one window, saved with its open sum and resumed: the same final params, bit for bit', async () => {
    const before = tf.memory().numTensors;
    const model = mlp(3, 4, 2, 6);
    // Batches of 2 examples = one micro-batch each; windows of 3; 12 micro-batches = 4 updates.
    const opts = (initialState?: TrainState<unknown>) => options(model, initialState);
    const whole = await events(opts(), source(12, 2), new Subject());
    const reference = finalParams(whole);

    // The second window holds micro-batches 4, 5 and 6 (1-based): stop after 3 (boundary), 4 and 5 (open).
    for (const after of [3, 4, 5]) {
      const subject = new Subject<void>();
      const first = await events(opts(), source(12, 2, { after, subject }), subject);
      const stopped = first[first.length - 1] as TrainStopped<unknown>;
      expect(stopped.stopped).toBe(true);
      expect(stopped.state.window?.microBatches ?? 0).toBe(after - 3);
      const saved = await throughCheckpoint(stopped, opts());
      expect(saved.position.microBatches).toBe(after);

      const rest = await events(opts(saved.state), source(12, 2).pipe(skipExamples(saved.position.examples)), new Subject());

      expect(bitsOf(finalParams(rest).params), `stopped after micro-batch ${after}`).toEqual(bitsOf(reference.params));
      expect(finalParams(rest).state.microBatches).toBe(12);
      disposeTree([saved.state, finalParams(rest).state.params, finalParams(rest).state.optimizerState]);
    }
    disposeTree([reference.params, reference.state.optimizerState, model.params]);
    expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
  });

  it('train works on a copy of a resumed open window: the caller still owns and can reuse it', async () => {
    const model = mlp(3, 4, 2, 6);
    const subject = new Subject<void>();
    const first = await events(options(model), source(6, 2, { after: 2, subject }), subject);
    const stopped = first[first.length - 1] as TrainStopped<unknown>;
    const window = stopped.state.window!;
    const bits = bitsOf(window);

    const a = finalParams(await events(options(model, stopped.state), source(6, 2).pipe(skipExamples(4)), new Subject()));
    const b = finalParams(await events(options(model, stopped.state), source(6, 2).pipe(skipExamples(4)), new Subject()));

    expect(bitsOf(window)).toEqual(bits);
    expect(bitsOf(a.params)).toEqual(bitsOf(b.params));
    disposeTree([stopped.state, a.params, a.state.optimizerState, b.params, b.state.optimizerState, model.params]);
  });
});
