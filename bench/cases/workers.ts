/**
 * Case 5, workers: one update of the MLP 784-256-10 (Adam, wasm with useFastWasmKernels) from a window of 8
 * micro-batches, computed on the main thread alone, by the main thread and 1 worker (workerPool's default
 * on 2 cores), and by 2 workers while the main thread waits (`mainShare: false`), for
 * micro-batches of 32 and 128, and from two pipelines: pre-split micro-batches, and whole batches sliced
 * from a dataset tensor and split by `microBatchSize` (what users feed). Every contender is one long run
 * (workers started once); a timed iteration pushes 4 windows into it, one after the other, and returns when
 * the last update is made.
 *
 * Beside it, the machine's ceiling: the same gradient work on two threads with no synchronisation at all
 * (bench/internal/ceilingWorker.ts), and the fraction of it that 2 workers reach. And PyTorch CPU on the
 * same work, when Debian's python3-torch is installed.
 */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { Subject } from 'rxjs';
import type { Batch } from '../../lib/batch/types.js';
import type { Examples } from '../../lib/data/types.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { workerPool } from '../../lib/node/workerPool.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { alternate, ratio, type AlternateOptions } from '../internal/alternate.js';
import { makeLayers, optimizer } from '../internal/fixtures.js';
import { summarize, type Summary } from '../internal/stats.js';

const N = 8;
/** Windows (updates) per timed iteration. */
const WINDOWS_PER_ITERATION = 4;
/**
 * Windows each contender runs before any is timed. A thread's gradient code reaches its steady speed only
 * after a few hundred samples (V8 compiling the JavaScript and tiering up the wasm: measured here, a worker's
 * sample took 2.5-3.5 ms over its first 300 and 1.7 ms after, with the main thread computing beside it),
 * and a run lives in that steady state. A worker of the pool computes about half of each window.
 */
export const WARM_WINDOWS = 100;
/** The samples a worker of the pool computes while warming up: the ceiling's threads warm up as long. */
export const WARM_SAMPLES = (WARM_WINDOWS * N) / 2;

export interface WorkersResult {
  readonly microBatch: number;
  readonly pipeline: 'pre-split' | 'dataset batch';
  readonly msPerUpdate: Record<string, Summary>;
  /** Two threads over the main thread alone (> 1: faster): main + 1 worker, and 2 workers (main waits). */
  readonly mainAndWorkerVsMain: Summary;
  readonly twoWorkersVsMain: Summary;
}

export interface CeilingResult {
  readonly microBatch: number;
  /** Throughput of two unsynchronised threads over one, over alternated rounds. */
  readonly speedup: Summary;
}

/** One long train() run fed window by window: `push` returns once the window's update is made. */
function longRun(examples: Examples, microBatch: number, pipeline: WorkersResult['pipeline'], workers: number, mainShare: boolean) {
  const layers = makeLayers('mlp-256');
  const model = fromLayersModel(layers);
  const source = new Subject<Batch>();
  let last: TrainStep<unknown> | undefined;
  let failure: unknown;
  const gradients = workers === 0 ? undefined : workerPool({ workers, mainShare });
  const subscription = source
    .pipe(
      train({
        model,
        loss: softmaxCrossEntropy,
        optimizer: optimizer(),
        accumulationSteps: N,
        ...(pipeline === 'dataset batch' ? { microBatchSize: microBatch } : {}),
        ...(gradients ? { gradients } : {}),
      }),
    )
    .subscribe({ next: (s) => (last = s), error: (e: unknown) => (failure = e) });
  // The dataset as one tensor, as a user holds it; each window slices a batch of N × microBatch from it.
  const rows = Math.floor(examples.count / (N * microBatch)) * N * microBatch;
  const xs = tf.tensor2d(examples.images.subarray(0, rows * 784), [rows, 784]);
  const ys = tf.tensor2d(examples.labels.subarray(0, rows * 10), [rows, 10]);
  let at = 0;
  const next = (size: number): Batch => {
    if (at + size > rows) at = 0;
    const batch = { xs: tf.slice(xs, [at, 0], [size, 784]), ys: tf.slice(ys, [at, 0], [size, 10]) };
    at += size;
    return batch;
  };
  const push = () => {
    if (pipeline === 'dataset batch') source.next(next(N * microBatch));
    else for (let i = 0; i < N; i++) source.next(next(microBatch));
    if (failure) throw failure;
  };
  const close = () => {
    subscription.unsubscribe();
    if (last) disposeTree(last.state);
    tf.dispose([xs, ys]);
    layers.dispose();
  };
  return { push, close };
}

export async function workersCase(examples: Examples, microBatch: number, pipeline: WorkersResult['pipeline'], timing: AlternateOptions, warmWindows: number): Promise<WorkersResult> {
  const runs = {
    'main thread': longRun(examples, microBatch, pipeline, 0, false),
    'main + 1 worker': longRun(examples, microBatch, pipeline, 1, true),
    '2 workers': longRun(examples, microBatch, pipeline, 2, false),
  };
  try {
    for (const run of Object.values(runs)) for (let w = 0; w < warmWindows; w++) run.push();
    // Several windows back to back per timed iteration, as in a run: a pool's first window after the other
    // contenders ran pays for waking its workers, which a run pays once.
    const timings = await alternate(
      Object.entries(runs).map(([name, run]) => ({
        name,
        fn: () => {
          for (let w = 0; w < WINDOWS_PER_ITERATION; w++) run.push();
        },
      })),
      timing,
    );
    const [main, shared, two] = timings as [(typeof timings)[0], (typeof timings)[0], (typeof timings)[0]];
    const perUpdate = (s: Summary): Summary => ({ median: s.median / WINDOWS_PER_ITERATION, p25: s.p25 / WINDOWS_PER_ITERATION, p75: s.p75 / WINDOWS_PER_ITERATION, n: s.n });
    return {
      microBatch,
      pipeline,
      msPerUpdate: Object.fromEntries(timings.map((t) => [t.name, perUpdate(t.ms)])),
      mainAndWorkerVsMain: ratio(main, shared),
      twoWorkersVsMain: ratio(main, two),
    };
  } finally {
    for (const run of Object.values(runs)) run.close();
  }
}

/**
 * Two threads computing `samples` gradient samples each with no synchronisation, against one alone: in
 * `rounds` alternated rounds (one alone, both at once; then the other way round), on two threads warmed up
 * once, the median of the rounds' ratios. One sequence of one, two and one thread, as measured before,
 * swung from ×1.33 to ×2.24 between runs on this shared machine: above 2, a neighbour had slowed one part.
 */
export async function ceiling(microBatch: number, samples: number, warmSamples: number, rounds: number): Promise<CeilingResult> {
  const script = new URL('../internal/ceilingWorker.js', import.meta.url);
  const workers = [0, 1].map(() => new Worker(script, { workerData: { microBatch, samples, warmSamples } }));
  try {
    await Promise.all(workers.map((w) => new Promise((ok, fail) => w.once('message', ok).once('error', fail))));
    // Each listener goes with the answer: rounds of once-listeners that never fire would pile up on the worker.
    const go = (w: Worker) =>
      new Promise<number>((ok, fail) => {
        const onError = (error: Error) => {
          w.off('message', onMessage);
          fail(error);
        };
        const onMessage = (ms: number) => {
          w.off('error', onError);
          ok(ms);
        };
        w.once('message', onMessage).once('error', onError);
        w.postMessage('go');
      });
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const aloneFirst = r % 2 === 0;
      const alone1 = aloneFirst ? await go(workers[r % 2] as Worker) : 0;
      const both = Math.max(...(await Promise.all(workers.map(go))));
      const alone = aloneFirst ? alone1 : await go(workers[r % 2] as Worker);
      ratios.push((2 * alone) / both);
    }
    return { microBatch, speedup: summarize(ratios) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** PyTorch CPU on the same work, ms per update (median), per pipeline; `undefined` when torch is absent. */
export function pytorch(microBatch: number, updates: number, threads: number): Record<string, number> | undefined {
  const script = `
import time, statistics, torch
torch.manual_seed(42); torch.set_num_threads(${threads})
N, M = ${N}, ${microBatch}
model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss(reduction='sum')
xs = torch.rand(N * M * 8, 784); ys = torch.randint(0, 10, (N * M * 8,))
def window(parts):
    opt.zero_grad(); total = 0
    for x, y in parts:
        loss_fn(model(x), y).backward(); total += x.shape[0]
    for p in model.parameters(): p.grad /= total
    opt.step()
def presplit(i):
    at = (i % 8) * N * M
    return [(xs[at + j * M: at + (j + 1) * M].clone(), ys[at + j * M: at + (j + 1) * M].clone()) for j in range(N)]
def dataset(i):
    at = (i % 8) * N * M
    return list(zip(torch.split(xs[at: at + N * M], M), torch.split(ys[at: at + N * M], M)))
out = {}
for name, make in (('pre-split', presplit), ('dataset batch', dataset)):
    for i in range(3): window(make(i))
    times = []
    for i in range(${updates}):
        start = time.perf_counter()
        window(make(i))
        times.append((time.perf_counter() - start) * 1000)
    out[name] = statistics.median(times)
print(repr(out).replace("'", '"'))
`;
  const run = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) {
    if (/No module named 'torch'|ModuleNotFoundError/.test(run.stderr) || run.error) return undefined;
    throw new Error(`pytorch case failed: ${run.stderr}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as Record<string, number>;
}
