import { fc, test as fcTest } from '@fast-check/vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, map, Subject, take, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { WorkerError } from '../../lib/errors/WorkerError.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import * as losses from '../../lib/models/losses/index.js';
import type { Model } from '../../lib/models/types.js';
import { liveWorkers } from '../../lib/node/internal/liveWorkers.js';
import { workerPool, type WorkerPoolOptions } from '../../lib/node/workerPool.js';
import type { GradientPoolRun } from '../../lib/parallel/types.js';
import type { GradientSample } from '../../lib/gradients/types.js';
import { adam } from '../../lib/optim/adam.js';
import { train } from '../../lib/train/train.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import type { TrainStep } from '../../lib/train/types.js';
import type { AccumulationSteps, NonFinitePolicy } from '../../lib/accumulate/accumulate.js';
import { batchData, disposeStep, mlp, relativeError, splitBatch, valuesOf } from '../support/fixtures.js';
import { expectNoLeaks } from '../support/leaks.js';
import { workerScript } from '../support/workerScript.js';
import { GRADIENT_SLOTS } from '../../lib/node/internal/protocol.js';

const fixtures = new URL('./fixtures/models.mjs', import.meta.url);
const pool = (options: WorkerPoolOptions) => workerPool({ workerUrl: workerScript(), ...options });
const pureModel = (exportName = 'apply') => ({ url: fixtures, export: exportName });

interface Run {
  readonly steps: ReadonlyArray<Omit<TrainStep<unknown>, 'params' | 'state'>>;
  readonly params: Record<string, Float32Array>;
}

/**
 * Trains the fixture MLP on `sizes` micro-batches and returns every step's numbers and the final params.
 * The workers' model is the fixtures' pure `apply` unless `poolModel` names another module export; the
 * pool's peak bytes per worker (0 for a worker that computed nothing) go into `peakBytes`, when given.
 */
async function runOnce(
  sizes: ReadonlyArray<number>,
  accumulationSteps: AccumulationSteps,
  workers: number | undefined,
  extra: { nonFinite?: NonFinitePolicy; poison?: number; model?: () => Model; mainShare?: boolean; poolModel?: WorkerPoolOptions['model']; peakBytes?: number[] } = {},
): Promise<Run> {
  const model = extra.model?.() ?? mlp(5, 4, 3, 11);
  const data = batchData(sizes.reduce((a, b) => a + b, 0), 5, 3, 21);
  if (extra.poison !== undefined) data.xs[extra.poison * 5] = Number.NaN;
  const batches = splitBatch(data, sizes);
  const shared = extra.mainShare === undefined ? {} : { mainShare: extra.mainShare };
  const gradients = workers === undefined ? undefined : pool({ workers, ...shared, ...(extra.model ? {} : { model: extra.poolModel ?? pureModel() }) });
  const steps = await lastValueFrom(
    from(batches).pipe(
      train({
        model,
        loss: losses.meanSquaredError,
        optimizer: adam({ learningRate: 0.05 }),
        accumulationSteps,
        ...(extra.nonFinite ? { nonFinite: extra.nonFinite } : {}),
        ...(gradients ? { gradients } : {}),
      }),
      toArray(),
    ),
  );
  const last = steps[steps.length - 1];
  const params = valuesOf(last?.params ?? model.params);
  disposeStep(last);
  tf.dispose(Object.values(model.params));
  extra.peakBytes?.push(...(gradients?.peakBytes() ?? []));
  return { steps: steps.map(({ params: _p, state: _s, ...numbers }) => numbers), params };
}

/**
 * Drives one pool run window by window through its own API (submit, an optional pause, collect), and checks
 * every sample bit for bit against the main thread's own gradientSample of the same micro-batch. With
 * `warmUp`, small windows go first until every worker has answered one (a worker starting on a busy machine
 * takes seconds). Returns the pool's peak bytes per worker: 0 for a worker that computed nothing.
 */
async function checkRun(
  options: WorkerPoolOptions,
  windows: ReadonlyArray<{ readonly sizes: ReadonlyArray<number>; readonly pauseMs: number }>,
  { warmUp = false } = {},
): Promise<ReadonlyArray<number>> {
  const model = mlp(5, 4, 3, 11);
  const gradients = pool({ model: pureModel(), ...options });
  const run = gradients.open(model, losses.meanSquaredError);
  const warmUpWindows = warmUp ? [{ sizes: [1, 1, 1], pauseMs: 300 }] : [];
  await expectNoLeaks(async () => {
    try {
      for (let attempt = 0; warmUp && !gradients.peakBytes().every((bytes) => bytes > 0); attempt++) {
        expect(attempt, 'warm-up windows before every worker answered').toBeLessThan(100);
        await checkWindows(run, model, warmUpWindows);
      }
      await checkWindows(run, model, windows);
    } finally {
      run.close();
    }
  });
  tf.dispose(Object.values(model.params));
  await allWorkersGone();
  return gradients.peakBytes();
}

async function checkWindows(
  run: GradientPoolRun,
  model: Model,
  windows: ReadonlyArray<{ readonly sizes: ReadonlyArray<number>; readonly pauseMs: number }>,
): Promise<void> {
  for (const [w, { sizes, pauseMs }] of windows.entries()) {
    const data = batchData(sizes.reduce((a, b) => a + b, 0), 5, 3, 100 + w);
    for (const batch of splitBatch(data, sizes)) run.submit(model.params, batch);
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const samples = [...run.collect()];
    expect(samples.map((s) => s.examples)).toEqual(sizes);
    splitBatch(data, sizes).forEach((batch, i) => {
      const expected = gradientSample(model, losses.meanSquaredError, model.params, batch);
      const got = samples[i]!;
      expect(valuesOf(got.grads), `window ${w}, micro-batch ${i}`).toEqual(valuesOf(expected.grads));
      expect(got.loss.dataSync()).toEqual(expected.loss.dataSync());
      tf.dispose([batch.xs, batch.ys, ...Object.values(expected.grads), expected.loss, ...Object.values(got.grads), got.loss]);
    });
  }
}

/** Waits until every worker the pools started has exited (terminate is asynchronous). */
const allWorkersGone = () => vi.waitFor(() => expect(liveWorkers()).toBe(0), { timeout: 10_000, interval: 20 });

/**
 * Opens a run of `pool(options)` for the fixture MLP and gives it to `body`; then closes the run, frees the
 * model and waits until its workers are gone, whatever `body` did.
 */
async function withRun(options: WorkerPoolOptions, body: (run: GradientPoolRun, model: Model) => unknown): Promise<void> {
  const model = mlp(5, 4, 3, 11);
  const run = pool(options).open(model, losses.meanSquaredError);
  try {
    await body(run, model);
  } finally {
    run.close();
    tf.dispose(Object.values(model.params));
  }
  await allWorkersGone();
}

const disposeSample = (s: GradientSample): void => tf.dispose([...Object.values(s.grads), s.loss]);

describe('workerPool: exact', () => {
  fcTest.prop(
    [
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 7 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(1, 2, 3),
      fc.boolean(),
    ],
    { numRuns: 6 },
  )(
    'k workers (with or without a main-thread share) make the sequential run bit for bit, for any split, window size and partial last window',
    async (sizes, window, k, mainShare) => {
      const sequential = await runOnce(sizes, window, undefined);
      const pooled = await expectNoLeaks(() => runOnce(sizes, window, k, { mainShare }));
      expect(relativeError(pooled.params, sequential.params)).toBeLessThanOrEqual(1e-6);
      expect(pooled.params).toEqual(sequential.params);
      expect(pooled.steps).toEqual(sequential.steps);
    },
    // Each run starts up to 3 workers, each loading TensorFlow.js: slow on a busy machine, not a timing.
    240_000,
  );

  it('the main thread computes what no worker has claimed: with a worker stuck at start, the whole run, bit for bit', async () => {
    const sizes = [2, 3, 1, 2, 2];
    const sequential = await runOnce(sizes, 2, undefined);
    const peakBytes: number[] = [];
    const pooled = await expectNoLeaks(() => runOnce(sizes, 2, 1, { poolModel: { url: new URL('./fixtures/stuck.mjs', import.meta.url), export: 'apply' }, peakBytes }));
    expect(pooled.params).toEqual(sequential.params);
    expect(peakBytes).toEqual([0]);
    await allWorkersGone();
  });

  it('without a main-thread share, every worker computes its micro-batches, bit for bit', async () => {
    const sizes = [2, 3, 1, 2, 2, 1];
    const sequential = await runOnce(sizes, 3, undefined);
    const peakBytes: number[] = [];
    const pooled = await expectNoLeaks(() => runOnce(sizes, 3, 3, { mainShare: false, peakBytes }));
    expect(pooled.params).toEqual(sequential.params);
    expect(peakBytes).toHaveLength(3);
    expect(peakBytes.every((bytes) => bytes > 0)).toBe(true);
    await allWorkersGone();
  });

  it('a worker with more micro-batches than gradient slots waits until the main thread empties one, bit for bit', async () => {
    // 9 micro-batches, all on one (started) worker, read only after it has had the time to fill every slot.
    const sizes = [1, 2, 1, 3, 1, 2, 1, 1, 2];
    expect(sizes.length).toBeGreaterThan(2 * GRADIENT_SLOTS);
    await checkRun({ workers: 1, mainShare: false }, [{ sizes, pauseMs: 2000 }], { warmUp: true });
  });

  it('a micro-batch the main thread took from a worker still starting is never computed again in a later window', async () => {
    // The worker starts a second late: the main thread takes micro-batch 1 of the first window, whose message
    // stays queued at the worker. The second window (same params object, as after a skipped update) must
    // get its own micro-batch 1, not that stale one.
    // Longer pauses until the worker has started within one (then it answered the second window's micro-batch 1).
    let worked = false;
    for (const pauseMs of [3000, 6000, 12_000]) {
      const peaks = await checkRun({ workers: 1, model: { url: new URL('./fixtures/slowStart.mjs', import.meta.url), export: 'apply' } }, [
        { sizes: [2, 3], pauseMs: 0 },
        { sizes: [1, 4], pauseMs },
      ]);
      worked = (peaks[0] as number) > 0;
      if (worked) break;
    }
    expect(worked, 'the worker started within one of the pauses').toBe(true);
  });

  it('more than 64 micro-batches for a slow worker in one window (the claims array grows): each computed once, bit for bit', async () => {
    // Once the worker has started, the main thread takes many of the slow worker's micro-batches, across the
    // arrays they were sent with.
    await checkRun(
      { workers: 1, model: pureModel('slowApply') },
      [
        { sizes: Array(150).fill(1) as number[], pauseMs: 0 },
        { sizes: [2, 1, 2], pauseMs: 0 },
      ],
      { warmUp: true },
    );
  });

  it('runs are bit-identical across 1, 2 and 3 workers, with windows smaller than k and a schedule', async () => {
    const sizes = [3, 1, 2, 4, 2, 1, 3];
    const schedule = (step: number) => (step % 2 === 0 ? 1 : 4);
    const sequential = await runOnce(sizes, schedule, undefined);
    const runs = [];
    for (const k of [1, 2, 3]) runs.push(await runOnce(sizes, schedule, k));
    expect(runs[0]).toEqual(sequential);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('a run returns one sample per micro-batch, in the order they went in, each equal to the main thread\'s', async () => {
    await checkRun({ workers: 2 }, [{ sizes: [1, 2, 3, 4, 5], pauseMs: 0 }]);
  });

  it('collect yields each sample as soon as it is ready: the first ones arrive while the worker is still inside the last', async () => {
    // The last micro-batch holds its worker until the gate file exists (gatedApply): a collect that waited for
    // the whole window would never yield the first sample, and the gated micro-batch would fail after 10 s.
    const number = 1000 + Math.floor(Math.random() * 1e6);
    const gate = join(tmpdir(), `gradstream-gate-${number}`);
    const data = batchData(6, 5, 3, 31);
    data.xs[4 * 5] = number;
    try {
      await expectNoLeaks(() =>
        withRun({ workers: 1, mainShare: false, model: pureModel('gatedApply') }, (run, model) => {
          for (const batch of splitBatch(data, [2, 2, 2])) run.submit(model.params, batch);
          const samples = run.collect()[Symbol.iterator]();
          const ready = [samples.next(), samples.next()];
          writeFileSync(gate, '');
          const last = samples.next();
          expect(samples.next().done).toBe(true);
          for (const { value } of [...ready, last]) {
            expect(value?.examples).toBe(2);
            if (value) disposeSample(value);
          }
        }),
      );
    } finally {
      rmSync(gate, { force: true });
    }
  });

  it('a collect left before its end leaves the run broken, and frees the rest of the window at once', async () => {
    await withRun({ workers: 1, model: pureModel() }, (run, model) => {
      const before = tf.memory().numTensors;
      for (const batch of splitBatch(batchData(6, 5, 3, 32), [2, 2, 2])) run.submit(model.params, batch);
      for (const s of run.collect()) {
        disposeSample(s);
        break;
      }
      // Freed when the reading stopped, not only when the run is closed.
      expect(tf.memory().numTensors - before, 'tensors left alive').toBe(0);
      const [late] = splitBatch(batchData(2, 5, 3, 33), [2]);
      expect(() => run.submit(model.params, late!)).toThrow(/broken by an earlier error/);
      expect(tf.memory().numTensors - before, 'tensors left alive').toBe(0);
    });
  });

  it('a submit before the last collect was read to its end breaks the run, says so, and holds nothing', async () => {
    await withRun({ workers: 1, model: pureModel() }, (run, model) => {
      const before = tf.memory().numTensors;
      for (const batch of splitBatch(batchData(4, 5, 3, 34), [2, 2])) run.submit(model.params, batch);
      const unread = run.collect();
      const [early, late] = splitBatch(batchData(4, 5, 3, 35), [2, 2]);
      expect(() => run.submit(model.params, early!)).toThrow(/before the samples of the last collect were all read/);
      expect(() => [...unread]).toThrow(/broken by an earlier error/);
      expect(() => run.submit(model.params, late!)).toThrow(/broken by an earlier error/);
      expect(tf.memory().numTensors - before, 'tensors left alive').toBe(0);
    });
  });

  it('reading a collect on after the run was closed fails at once instead of waiting', async () => {
    // Micro-batch 1 holds the worker (its gate never opens), so its sample cannot be ready.
    const data = batchData(6, 5, 3, 36);
    data.xs[2 * 5] = 1000 + Math.floor(Math.random() * 1e6);
    await expectNoLeaks(() =>
      withRun({ workers: 1, mainShare: false, model: pureModel('gatedApply') }, (run, model) => {
        for (const batch of splitBatch(data, [2, 2, 2])) run.submit(model.params, batch);
        const samples = run.collect()[Symbol.iterator]();
        const first = samples.next().value;
        if (first) disposeSample(first);
        run.close();
        expect(() => samples.next()).toThrow(/the run is closed/);
      }),
    );
  });

  it('a Layers model reaches the workers by itself and trains as on one thread', async () => {
    const layersModel = () => {
      const layers = tf.sequential({
        layers: [
          tf.layers.dense({ name: 'hidden', inputShape: [5], units: 4, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
          tf.layers.dense({ name: 'out', units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        ],
      });
      const model = fromLayersModel(layers);
      // The test owns a copy of the weights, as runOnce disposes model.params at the end.
      return { ...model, params: Object.fromEntries(Object.entries(model.params).map(([n, t]) => [n, t.clone()])) };
    };
    const sequential = await runOnce([2, 3, 1], 2, undefined, { model: layersModel });
    const pooled = await runOnce([2, 3, 1], 2, 2, { model: layersModel });
    expect(pooled).toEqual(sequential);
  });

  it("non-finite policies see the same samples: 'skip-micro-batch' skips the same micro-batch", async () => {
    const sequential = await runOnce([2, 2, 2, 2], 2, undefined, { nonFinite: 'skip-micro-batch', poison: 2 });
    const pooled = await runOnce([2, 2, 2, 2], 2, 2, { nonFinite: 'skip-micro-batch', poison: 2 });
    expect(sequential.steps[0]?.skippedMicroBatches).toBe(1);
    expect(pooled).toEqual(sequential);
  });
});

describe('workerPool: failure is clean', () => {
  const failing = async (options: WorkerPoolOptions, batches = 4) => {
    const model = mlp(5, 4, 3, 11);
    const parts = splitBatch(batchData(2 * batches, 5, 3, 21), Array(batches).fill(2) as number[]);
    const before = tf.memory().numTensors;
    const error = await lastValueFrom(
        from(parts).pipe(
          train({ model, loss: losses.meanSquaredError, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: 2, gradients: pool(options) }),
        ),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
    // The batches taken were freed, whether computed or not; those after the error are still the caller's.
    const untaken = parts.filter((b) => !b.xs.isDisposed);
    expect(tf.memory().numTensors - before, 'tensors left alive').toBe(2 * (untaken.length - batches));
    tf.dispose(untaken.flatMap((b) => [b.xs, b.ys]));
    tf.dispose(Object.values(model.params));
    await allWorkersGone();
    return error;
  };

  it("an error thrown in a worker's model fails the stream with a WorkerError carrying its message and stack", async () => {
    const error = await failing({ workers: 2, mainShare: false, model: pureModel('throwingApply') });
    expect(error).toBeInstanceOf(WorkerError);
    const e = error as WorkerError;
    expect(e.workerName).toBe('RangeError');
    expect(e.workerMessage).toBe('boom in the model');
    expect(e.workerStack).toContain('models.mjs');
    // Without a main-thread share, micro-batch i of a window goes to worker i: whichever failed first is named.
    expect([0, 1]).toContain(e.input);
    expect(e.worker).toBe(e.input);
  });

  it('a window that fails after some of its samples went downstream (a worker fails at micro-batch 2 of 4) frees everything', async () => {
    const model = mlp(5, 4, 3, 11);
    const data = batchData(8, 5, 3, 37);
    data.xs[4 * 5] = 1000;
    let parts: ReturnType<typeof splitBatch> = [];
    // The worker computes micro-batches 0 and 1 and only then fails at 2, 300 ms later: by then their samples
    // have been added to the window's running sum downstream.
    const error = await expectNoLeaks(() => {
      parts = splitBatch(data, [2, 2, 2, 2]);
      return lastValueFrom(
        from(parts).pipe(
          train({
            model,
            loss: losses.meanSquaredError,
            optimizer: adam({ learningRate: 0.05 }),
            accumulationSteps: 4,
            gradients: pool({ workers: 1, mainShare: false, model: pureModel('failingAtMarkApply') }),
          }),
        ),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
    });
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).workerMessage).toBe('boom at the marked micro-batch');
    expect(parts.every((b) => b.xs.isDisposed && b.ys.isDisposed)).toBe(true);
    tf.dispose(Object.values(model.params));
    await allWorkersGone();
  });

  it("an error thrown in a worker's loss fails the stream with a WorkerError", async () => {
    const error = await failing({ workers: 2, mainShare: false, model: pureModel(), loss: { url: fixtures, export: 'throwingLoss' } });
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).workerMessage).toBe('boom in the loss');
    expect((error as WorkerError).workerStack).toContain('throwingLoss');
  });

  it('a worker that exits fails the stream instead of hanging', async () => {
    const error = await failing({ workers: 2, mainShare: false, model: pureModel('exitingApply') });
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).exitCode).toBe(3);
  });

  it('a module that does not export the model fails the stream with a WorkerError at start', async () => {
    const error = await failing({ workers: 1, mainShare: false, model: pureModel('nothingHere') });
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).workerMessage).toContain("no export 'nothingHere'");
  });

  it('with a main-thread share, a worker that failed to start fails the run, though the main thread computed every window', async () => {
    let error: unknown;
    await expectNoLeaks(() =>
      withRun({ workers: 1, model: pureModel('nothingHere') }, async (run, model) => {
        // Windows until the worker's failure has arrived: the main thread computes each whole (every
        // micro-batch, since the worker never claims one), and the failure is reported all the same.
        for (let attempt = 0; attempt < 200 && error === undefined; attempt++) {
          const batches = splitBatch(batchData(4, 5, 3, 21), [2, 2]);
          let taken = 0;
          try {
            for (const batch of batches) {
              taken += 1;
              run.submit(model.params, batch);
            }
            for (const s of run.collect()) disposeSample(s);
          } catch (e) {
            error = e;
            // The failure may come while submitting: what the run did not take is still ours.
            for (const { xs, ys } of batches.slice(taken)) tf.dispose([xs, ys]);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).workerMessage).toContain("no export 'nothingHere'");
  });

  it('a run broken by a failure refuses to submit or collect again, says so, and holds nothing', async () => {
    await expectNoLeaks(() =>
      withRun({ workers: 1, mainShare: false, model: pureModel('throwingApply') }, (run, model) => {
        for (const batch of splitBatch(batchData(4, 5, 3, 21), [2, 2])) run.submit(model.params, batch);
        expect(() => [...run.collect()]).toThrow(WorkerError);
        // A second collect would otherwise wait for the answer the failed worker never gives.
        expect(() => [...run.collect()]).toThrow(/broken by an earlier error/);
        const [late] = splitBatch(batchData(2, 5, 3, 22), [2]);
        expect(() => run.submit(model.params, late!)).toThrow(/broken by an earlier error/);
        expect(late!.xs.isDisposed).toBe(true);
      }),
    );
  });

  it('a pure-function model without a module is a ConfigError', async () => {
    const error = await failing({ workers: 1 });
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('workerPool rejects a bad worker count with a ConfigError naming it', () => {
    expect(() => workerPool({ workers: 0 })).toThrow(ConfigError);
    expect(() => workerPool({ workers: 0 })).toThrow(/workers/);
  });

  it('completion terminates every worker and leaves no tensor behind', async () => {
    await expectNoLeaks(() => runOnce([2, 2, 2], 2, 3));
    await allWorkersGone();
  });

  it('unsubscribing mid-run (a synchronous source, take(1)) terminates every worker and leaks nothing', async () => {
    const model = mlp(5, 4, 3, 11);
    const parts = splitBatch(batchData(12, 5, 3, 21), [2, 2, 2, 2, 2, 2]);
    const before = tf.memory().numTensors;
    {
      const steps = await lastValueFrom(
        from(parts).pipe(
          train({ model, loss: losses.meanSquaredError, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: 2, gradients: pool({ workers: 2, model: pureModel() }) }),
          take(1),
          toArray(),
        ),
      );
      expect(steps).toHaveLength(1);
      disposeStep(steps[0]);
    }
    // The first window's two batches were freed; those take(1) never let in stay the caller's.
    expect(tf.memory().numTensors - before, 'tensors left alive').toBe(-4);
    tf.dispose(parts.slice(2).flatMap((b) => [b.xs, b.ys]));
    tf.dispose(Object.values(model.params));
    await allWorkersGone();
  });

  it('unsubscribing in the middle of a window terminates every worker', async () => {
    const model = mlp(5, 4, 3, 11);
    const data = batchData(6, 5, 3, 21);
    const source = new Subject<number>();
    const parts = splitBatch(data, [2, 2, 2]);
    const before = tf.memory().numTensors;
    const subscription = source
      .pipe(
        map((i) => parts[i]!),
        train({ model, loss: losses.meanSquaredError, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: 4, gradients: pool({ workers: 2, model: pureModel() }) }),
      )
      .subscribe();
    source.next(0);
    source.next(1);
    expect(liveWorkers()).toBe(2);
    subscription.unsubscribe();
    await allWorkersGone();
    // The two micro-batches handed over were freed; the third was never taken.
    expect(tf.memory().numTensors - before).toBe(-4);
    parts[2]!.xs.dispose();
    parts[2]!.ys.dispose();
    tf.dispose(Object.values(model.params));
  });
});

describe('workerPool: memory', () => {
  it('the peak tensor bytes of every worker are flat in the window size', async () => {
    const peaks: number[][] = [];
    for (const n of [2, 16]) {
      const model = mlp(5, 4, 3, 11);
      // Without the main thread's share, so that both workers compute in every window, even of 2.
      const gradients = pool({ workers: 2, mainShare: false, model: pureModel() });
      const data = batchData(4 * n, 5, 3, 21);
      const steps = await lastValueFrom(
        from(splitBatch(data, Array(n).fill(4) as number[])).pipe(
          train({ model, loss: losses.meanSquaredError, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: n, gradients }),
          toArray(),
        ),
      );
      disposeStep(steps[steps.length - 1]);
      tf.dispose(Object.values(model.params));
      peaks.push([...gradients.peakBytes()]);
    }
    expect(Math.min(...peaks[0]!)).toBeGreaterThan(0);
    expect(peaks[1]).toEqual(peaks[0]);
    await allWorkersGone();
  });
});

describe('workerPool: a resumed open window', () => {
  it('a run stopped mid-window and resumed on a pool ends bit for bit where the sequential run never stopped', async () => {
    // One micro-batch per batch of 2 examples, windows of 3; stop after micro-batch 4 (window 2 holds one).
    const data = batchData(24, 5, 3, 31);
    const batches = () => splitBatch(data, Array.from({ length: 12 }, () => 2));
    const opts = (model: Model) => ({ model, loss: losses.meanSquaredError, optimizer: adam({ learningRate: 0.05 }), accumulationSteps: 3 });
    const reference = mlp(5, 4, 3, 11);
    const whole = await lastValueFrom(from(batches()).pipe(train(opts(reference))));
    const expected = valuesOf(whole.params);
    disposeStep(whole);
    tf.dispose(Object.values(reference.params));

    await expectNoLeaks(async () => {
      const model = mlp(5, 4, 3, 11);
      const stop = new Subject<void>();
      const first = batches();
      const events = await lastValueFrom(
        from(first).pipe(
          map((batch, i) => {
            if (i === 4) stop.next(); // after four micro-batches: the fifth is not taken
            return batch;
          }),
          train({ ...opts(model), stop }),
          toArray(),
        ),
      );
      tf.dispose(first.slice(4).flatMap((b) => (b.xs.isDisposed ? [] : [b.xs, b.ys])));
      const stopped = events.at(-1) as unknown as { stopped: true; state: TrainStep<unknown>['state'] };
      expect(stopped.stopped).toBe(true);
      expect(stopped.state.window?.microBatches).toBe(1);
      const gradients = pool({ workers: 2, model: pureModel() });
      const again = batches();
      tf.dispose(again.slice(0, 4).flatMap((b) => [b.xs, b.ys])); // the data position: four micro-batches in
      const rest = await lastValueFrom(
        from(again.slice(4)).pipe(train({ ...opts(model), initialState: stopped.state, gradients })),
      );
      expect(valuesOf(rest.params)).toEqual(expected);
      expect(rest.state.microBatches).toBe(12);
      disposeStep(rest);
      disposeTree(stopped.state); // params, optimizer state and the open window's sums
      tf.dispose(Object.values(model.params));
    });
    await allWorkersGone();
  });
});
