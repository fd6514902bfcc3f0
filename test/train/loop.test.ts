import * as tf from '@tensorflow/tfjs';
import { EMPTY, from, Subject, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BatchError } from '../../lib/errors/BatchError.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { MissingGradientError } from '../../lib/errors/MissingGradientError.js';
import { NonFiniteGradientError } from '../../lib/errors/NonFiniteGradientError.js';
import { ShapeMismatchError } from '../../lib/errors/ShapeMismatchError.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import type { Model } from '../../lib/models/types.js';
import { adam } from '../../lib/optim/adam.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { Params } from '../../lib/params/types.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { batchData, collect, disposeStep, lazyBatches, linear, mse, toBatch, valuesOf } from '../support/fixtures.js';

const D = 3;
const K = 2;

/** `count` one-example-per-row micro-batches of `size` examples, made lazily, deterministic. */
const microBatchesOf = (count: number, size = 2, seed = 1) =>
  lazyBatches(Array.from({ length: count }, (_, i) => () => toBatch(batchData(size, D, K, seed + i))));

/** Wraps a model so that each `apply` records the params map it was given. */
function recording(model: Model): { model: Model; seen: Params[] } {
  const seen: Params[] = [];
  return { seen, model: { params: model.params, apply: (p, xs) => (seen.push(p), model.apply(p, xs)) } };
}

describe('train: same parameters within a window', () => {
  it('computes every micro-batch of a window with the window\'s starting parameters', async () => {
    const base = linear(D, K);
    const { model, seen } = recording(base);
    const emitted: Params[] = [];
    const steps = await collect(
      microBatchesOf(9).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 3 })),
    );
    for (const s of steps) emitted.push(s.params);
    expect(seen).toHaveLength(9);
    const starts = [base.params, ...emitted];
    for (let mb = 0; mb < 9; mb++) expect(seen[mb]).toBe(starts[Math.floor(mb / 3)]);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(base.params));
  });
});

describe('train: cadence', () => {
  it('emits update k after micro-batch k·N, and applies the partial window', async () => {
    const before = tf.memory().numTensors;
    const model = linear(D, K);
    let microBatchesSeen = 0;
    const counted: Model = { params: model.params, apply: (p, xs) => (microBatchesSeen++, model.apply(p, xs)) };
    const steps = await collect(
      microBatchesOf(10).pipe(train({ model: counted, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 4 })),
    );
    // Steps are emitted synchronously as the 4th, 8th and (partial) 10th micro-batch close their windows.
    expect(steps.map((s) => [s.step, s.microBatches, s.examples])).toEqual([
      [1, 4, 8],
      [2, 4, 8],
      [3, 2, 4],
    ]);
    expect(steps.at(-1)!.state.microBatches).toBe(10);
    expect(microBatchesSeen).toBe(10);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(model.params));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('emits each update as soon as its window closes, not at completion', () => {
    const model = linear(D, K);
    const source = new Subject<ReturnType<typeof toBatch>>();
    const steps: TrainStep<unknown>[] = [];
    source.pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 })).subscribe((s) => steps.push(s));
    source.next(toBatch(batchData(2, D, K, 1)));
    expect(steps).toHaveLength(0);
    source.next(toBatch(batchData(2, D, K, 2)));
    expect(steps).toHaveLength(1);
    source.next(toBatch(batchData(2, D, K, 3)));
    expect(steps).toHaveLength(1);
    source.complete();
    expect(steps).toHaveLength(2);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(model.params));
  });

  it('honours a schedule of accumulation steps N(updateStep)', async () => {
    const model = linear(D, K);
    const steps = await collect(
      microBatchesOf(9).pipe(
        train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: (k) => [1, 2, 3, 3][k] ?? 3 }),
      ),
    );
    expect(steps.map((s) => s.microBatches)).toEqual([1, 2, 3, 3]);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(model.params));
  });

  it("drops the partial window with partialWindow: 'drop'", async () => {
    const model = linear(D, K);
    const steps = await collect(
      microBatchesOf(10).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 4, partialWindow: 'drop' })),
    );
    expect(steps.map((s) => s.microBatches)).toEqual([4, 4]);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(model.params));
  });

  it('splits batches with microBatchSize, the last micro-batch smaller', async () => {
    const model = linear(D, K);
    const steps = await collect(
      lazyBatches([() => toBatch(batchData(10, D, K, 1))]).pipe(
        train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 3, microBatchSize: 4 }),
      ),
    );
    expect(steps.map((s) => [s.microBatches, s.examples])).toEqual([[3, 10]]);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(model.params));
  });
});

describe('train: the optimizer advances once per update', () => {
  it('calls the learning-rate schedule once per update with the update count, never per micro-batch', async () => {
    const model = linear(D, K);
    const calls: number[] = [];
    const schedule = (step: number) => (calls.push(step), 0.1 / (1 + step));
    const steps = await collect(microBatchesOf(12).pipe(train({ model, loss: mse, optimizer: adam({ learningRate: schedule }), accumulationSteps: 4 })));
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    // Each update reads its rate once for TrainStep.learningRate and once inside the update.
    expect([...new Set(calls)]).toEqual([0, 1, 2]);
    expect(steps.map((s) => s.learningRate)).toEqual([0.1, 0.05, 0.1 / 3]);
    const state = steps.at(-1)!.state.optimizerState as { count: number };
    expect(state.count).toBe(3);
    disposeStep(steps.at(-1));
    tf.dispose(Object.values(model.params));
  });

  it('clips the accumulated gradient, not each micro-batch', async () => {
    // Two micro-batches whose gradients are +g and −g: each alone has a large norm, their mean is small.
    // Clipping per micro-batch would clip both and still cancel; clipping the mean must leave it as is.
    const w = tf.tensor1d([0, 0]);
    const model: Model = { params: { w }, apply: (p, xs) => tf.sum(tf.mul(xs, p['w']!), -1) };
    // loss = prediction itself (per example), so the gradient of a micro-batch is the sum of its xs rows.
    const loss = (_labels: tf.Tensor, predictions: tf.Tensor) => predictions;
    const batches = () =>
      from([
        { xs: tf.tensor2d([[10, 0]]), ys: tf.zeros([1]) },
        { xs: tf.tensor2d([[-9, 1]]), ys: tf.zeros([1]) },
      ]);
    const [step] = await collect(
      batches().pipe(train({ model, loss, optimizer: chain(clipByGlobalNorm(1), sgd({ learningRate: 1 })), accumulationSteps: 2 })),
    );
    // Mean gradient (0.5, 0.5): norm 0.707 < 1, so no clipping: w = −(0.5, 0.5).
    expect(step!.gradNorm).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Array.from(step!.params['w']!.dataSync())).toEqual([-0.5, -0.5]);
    disposeStep(step);
    // With a bound below the mean's norm, the mean is clipped to it, and gradNorm reports the norm before clipping.
    const [clipped] = await collect(
      batches().pipe(train({ model, loss, optimizer: chain(clipByGlobalNorm(0.5), sgd({ learningRate: 1 })), accumulationSteps: 2 })),
    );
    expect(clipped!.gradNorm).toBeCloseTo(Math.SQRT1_2, 6);
    const scale = 0.5 / (Math.SQRT1_2 + 1e-6);
    clipped!.params['w']!.dataSync().forEach((v) => expect(v).toBeCloseTo(-0.5 * scale, 6));
    disposeStep(clipped);
    w.dispose();
  });
});

describe('train: non-finite micro-batches', () => {
  /** Micro-batch 2 of each window of 3 has a NaN input. */
  const poisoned = (count: number) =>
    lazyBatches(
      Array.from({ length: count }, (_, i) => () => {
        const b = toBatch(batchData(2, D, K, 10 + i));
        if (i % 3 !== 1) return b;
        const xs = tf.fill([2, D], Number.NaN);
        b.xs.dispose();
        return { xs, ys: b.ys };
      }),
    );

  it("'error' fails with NonFiniteGradientError naming update and micro-batch, and leaks nothing", async () => {
    const model = linear(D, K);
    const before = tf.memory().numTensors;
    const error = await collect(poisoned(6).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 3 }))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as NonFiniteGradientError).update).toBe(1);
    expect((error as NonFiniteGradientError).microBatch).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });

  it("'skip-micro-batch' equals training without the bad micro-batches", async () => {
    const model = linear(D, K);
    const skipping = await collect(
      poisoned(6).pipe(train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 3, nonFinite: 'skip-micro-batch' })),
    );
    const clean = await collect(
      lazyBatches([0, 2, 3, 5].map((i) => () => toBatch(batchData(2, D, K, 10 + i)))).pipe(
        train({ model, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 }),
      ),
    );
    expect(skipping.map((s) => [s.microBatches, s.skippedMicroBatches])).toEqual([
      [3, 1],
      [3, 1],
    ]);
    expect(skipping.at(-1)!.state.skippedMicroBatches).toBe(2);
    expect(valuesOf(skipping.at(-1)!.params)).toEqual(valuesOf(clean.at(-1)!.params));
    disposeStep(skipping.at(-1));
    disposeStep(clean.at(-1));
    tf.dispose(Object.values(model.params));
  });

  it("'skip-update' drops the window, leaving params and optimizer state untouched", async () => {
    const model = linear(D, K);
    const steps = await collect(
      poisoned(6).pipe(train({ model, loss: mse, optimizer: adam({ learningRate: 0.1 }), accumulationSteps: 2, nonFinite: 'skip-update' })),
    );
    // Windows of 2: (0,1) has bad 1 → dropped; (2,3) clean → step 1; (4,5) has bad 4 → dropped, after the
    // last emitted step (so only the first skip is counted by a step).
    expect(steps.map((s) => [s.step, s.skippedUpdates])).toEqual([[1, 1]]);
    const last = steps.at(-1)!;
    expect(last.state.skippedUpdates).toBe(1);
    expect((last.state.optimizerState as { count: number }).count).toBe(1);
    // The same as one clean update from the starting params on micro-batches 2 and 3.
    const clean = await collect(
      lazyBatches([2, 3].map((i) => () => toBatch(batchData(2, D, K, 10 + i)))).pipe(
        train({ model, loss: mse, optimizer: adam({ learningRate: 0.1 }), accumulationSteps: 2 }),
      ),
    );
    expect(valuesOf(last.params)).toEqual(valuesOf(clean[0]!.params));
    disposeStep(last);
    disposeStep(clean[0]);
    tf.dispose(Object.values(model.params));
  });
});

describe('train: bad input', () => {
  const model = () => linear(D, K);

  it.each([0, -1, Number.NaN, 2.5])('throws a ConfigError for accumulationSteps %s, before any tensor is made', (steps) => {
    const m = model();
    const before = tf.memory().numTensors;
    expect(() => train({ model: m, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: steps })).toThrow(
      new ConfigError('train', 'accumulationSteps', steps, 'an integer >= 1'),
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(m.params));
  });

  it.each([0, -3, 1.5])('throws a ConfigError for microBatchSize %s', (size) => {
    const m = model();
    expect(() => train({ model: m, loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2, microBatchSize: size })).toThrow(
      `train: microBatchSize must be an integer >= 1, got ${size}`,
    );
    tf.dispose(Object.values(m.params));
  });

  const streamError = async (m: Model, batch: () => ReturnType<typeof toBatch>, loss = mse) => {
    const before = tf.memory().numTensors;
    const error = await collect(lazyBatches([batch]).pipe(train({ model: m, loss, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 }))).catch(
      (e: unknown) => e,
    );
    expect(tf.memory().numTensors, 'no tensor leaks on a data error').toBe(before);
    tf.dispose(Object.values(m.params));
    return error as Error;
  };

  it('sends xs and ys with different first dimensions down the error channel as a BatchError', async () => {
    const error = await streamError(model(), () => ({ xs: tf.zeros([4, D]), ys: tf.zeros([3, K]) }));
    expect(error).toBeInstanceOf(BatchError);
    expect(error.message).toBe('gradientSample: xs has 4 examples but ys has 3 (shapes [4, 3] and [3, 2])');
  });

  it('sends an empty batch down the error channel as a BatchError', async () => {
    const error = await streamError(model(), () => ({ xs: tf.zeros([0, D]), ys: tf.zeros([0, K]) }));
    expect(error).toBeInstanceOf(BatchError);
    expect(error.message).toContain('the batch is empty');
  });

  it('sends a missing gradient down the error channel, naming the parameter', async () => {
    const m = linear(D, K);
    const unused = tf.zeros([1]);
    const withUnused: Model = { params: { ...m.params, unused }, apply: m.apply };
    const error = await streamError(withUnused, () => toBatch(batchData(2, D, K, 1)));
    expect(error).toBeInstanceOf(MissingGradientError);
    expect((error as MissingGradientError).param).toBe('unused');
  });

  it('sends predictions whose shape does not match the labels down the error channel', async () => {
    const error = await streamError(model(), () => ({ xs: tf.zeros([2, D]), ys: tf.zeros([2, K + 1]) }), meanSquaredError);
    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect(error.message).toBe('losses.meanSquaredError: predictions and labels differ in shape: predictions [2, 2], labels [2, 3]');
  });
});

describe('train: errors from the optimizer', () => {
  it('sends a schedule\'s invalid value down the error channel at that update, freeing the window, keeping the last step', async () => {
    const model = linear(D, K);
    const before = tf.memory().numTensors;
    let last: TrainStep<unknown> | undefined;
    const error = await new Promise<unknown>((resolve) =>
      microBatchesOf(6)
        .pipe(train({ model, loss: mse, optimizer: adam({ learningRate: (s) => (s < 1 ? 0.1 : -1) }), accumulationSteps: 2 }))
        .subscribe({ next: (s) => (last = s), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('got -1');
    expect(last!.step).toBe(1);
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });
});

describe('train: ownership and leaks', () => {
  it('frees the optimizer state it made when no update happens, and never touches an initialState', async () => {
    const model = linear(D, K);
    const options = { model, loss: mse, optimizer: adam({ learningRate: 0.01 }), accumulationSteps: 3 } as const;
    const before = tf.memory().numTensors;
    expect(await collect(EMPTY.pipe(train(options)))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    const [first] = await collect(microBatchesOf(3).pipe(train(options)));
    const owned = tf.memory().numTensors;
    expect(await collect(EMPTY.pipe(train({ ...options, initialState: first!.state })))).toEqual([]);
    expect(tf.memory().numTensors).toBe(owned);
    expect(first!.params['w']!.isDisposed).toBe(false);
    disposeStep(first);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });

  it('keeps the tensor count flat across hundreds of updates', async () => {
    const model = linear(D, K);
    const counts: number[] = [];
    const steps = microBatchesOf(600, 1).pipe(train({ model, loss: mse, optimizer: adam({ learningRate: 0.01 }), accumulationSteps: 2 }));
    let last: TrainStep<unknown> | undefined;
    await new Promise<void>((resolve, reject) =>
      steps.subscribe({ next: (s) => (counts.push(tf.memory().numTensors), (last = s)), error: reject, complete: resolve }),
    );
    expect(counts).toHaveLength(300);
    expect(new Set(counts.slice(1)).size).toBe(1);
    disposeStep(last);
    tf.dispose(Object.values(model.params));
  });

  it('returns to the baseline plus the last step after completion, an error, or an unsubscribe mid-window', async () => {
    const model = linear(D, K);
    const options = { model, loss: mse, optimizer: adam({ learningRate: 0.01 }), accumulationSteps: 3 } as const;
    // Completion: the caller owns the last step's params and optimizer state.
    let before = tf.memory().numTensors;
    const done = await collect(microBatchesOf(7).pipe(train(options)));
    disposeStep(done.at(-1));
    expect(tf.memory().numTensors).toBe(before);
    // Error mid-window (after 1 update): the last emitted step is still the caller's, intact.
    before = tf.memory().numTensors;
    let last: TrainStep<unknown> | undefined;
    const failing = lazyBatches([
      ...Array.from({ length: 4 }, (_, i) => () => toBatch(batchData(2, D, K, i))),
      () => ({ xs: tf.zeros([2, D]), ys: tf.zeros([1, K]) }),
    ]);
    await new Promise<void>((resolve) => failing.pipe(train(options)).subscribe({ next: (s) => (last = s), error: () => resolve() }));
    expect(last!.step).toBe(1);
    expect(last!.params['w']!.isDisposed).toBe(false);
    disposeStep(last);
    expect(tf.memory().numTensors).toBe(before);
    // Unsubscribe mid-window (micro-batch 5 of windows of 3): the sum and the pending batch are freed.
    before = tf.memory().numTensors;
    const source = new Subject<ReturnType<typeof toBatch>>();
    const seen: TrainStep<unknown>[] = [];
    const subscription = source.pipe(train(options), take(10)).subscribe((s) => seen.push(s));
    for (let i = 0; i < 5; i++) source.next(toBatch(batchData(2, D, K, i)));
    subscription.unsubscribe();
    disposeStep(seen.at(-1));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(model.params));
  });
});

describe('train: determinism and resume', () => {
  it('gives bit-identical params for the same inputs', async () => {
    const model = linear(D, K);
    const run = () => collect(microBatchesOf(8).pipe(train({ model, loss: mse, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: 3 })));
    const [a, b] = [await run(), await run()];
    expect(valuesOf(a.at(-1)!.params)).toEqual(valuesOf(b.at(-1)!.params));
    disposeStep(a.at(-1));
    disposeStep(b.at(-1));
    tf.dispose(Object.values(model.params));
  });

  it('continues from a TrainStep.state exactly as if the run had not stopped', async () => {
    const model = linear(D, K);
    const make = (i: number) => () => toBatch(batchData(2, D, K, 100 + i));
    const optimizer = adam({ learningRate: (s) => 0.05 / (1 + s) });
    const accumulationSteps = (k: number) => 1 + (k % 3);
    const whole = await collect(lazyBatches(Array.from({ length: 12 }, (_, i) => make(i))).pipe(train({ model, loss: mse, optimizer, accumulationSteps })));
    // Stop after 3 updates (1 + 2 + 3 = 6 micro-batches), then resume with the rest.
    const first = await collect(lazyBatches(Array.from({ length: 6 }, (_, i) => make(i))).pipe(train({ model, loss: mse, optimizer, accumulationSteps })));
    expect(first.at(-1)!.step).toBe(3);
    const rest = await collect(
      lazyBatches(Array.from({ length: 6 }, (_, i) => make(6 + i))).pipe(
        train({ model, loss: mse, optimizer, accumulationSteps, initialState: first.at(-1)!.state }),
      ),
    );
    expect(rest.map((s) => s.step)).toEqual(whole.slice(3).map((s) => s.step));
    expect(valuesOf(rest.at(-1)!.params)).toEqual(valuesOf(whole.at(-1)!.params));
    expect(rest.at(-1)!.state.microBatches).toBe(12);
    // The resumed run never disposed the state it was given.
    expect(first.at(-1)!.params['w']!.isDisposed).toBe(false);
    for (const s of [whole.at(-1), first.at(-1), rest.at(-1)]) disposeStep(s);
    tf.dispose(Object.values(model.params));
  });
});
