/**
 * Case 6, profile: where one train() update spends its time on wasm, kernel by kernel, before and after
 * useFastWasmKernels: `tf.profile` around one update (8 micro-batches of 32, Adam) of the MLP 784-256-10
 * fed as in case 5b (256-example batches sliced from a 4096-row dataset tensor, split by microBatchSize
 * 32) and of the CLI's CNN (pre-split micro-batches, as in case 5c), after two untimed warm-up updates. tf.profile times each kernel call with the
 * backend's timer (on wasm: wall time around the synchronous kernel), so the table says which kernels
 * dominate, not what an unprofiled update costs. Five updates are profiled; each kernel's figure is the
 * median over them of its total per update (a shared machine's pauses land on one update, not on all).
 * Printed as a table per model: kernel, calls per update, median ms per update.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import { useFastWasmMatMul } from '../../lib/backends/useFastWasmMatMul.js';
import type { Examples } from '../../lib/data/types.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { quantile } from '../internal/stats.js';
import { datasetBatches, DATASET_ROWS } from './kernels.js';
import { makeLayers, MICRO_BATCH, microBatchSource, type ModelName, runTrain } from '../internal/fixtures.js';

const N = 8;
const UPDATES = 5;

export interface KernelProfile {
  readonly kernel: string;
  readonly calls: number;
  readonly ms: number;
}

export interface ProfileResult {
  readonly model: ModelName;
  readonly setup: 'before' | 'after';
  readonly totalMs: number;
  readonly kernels: ReadonlyArray<KernelProfile>;
}

async function profileOne(examples: Examples, name: ModelName, setup: 'before' | 'after'): Promise<ProfileResult> {
  const restore = setup === 'after' ? useFastWasmKernels() : useFastWasmMatMul();
  const layers = makeLayers(name);
  const data =
    name === 'cnn'
      ? undefined
      : {
          xs: tf.tensor2d(examples.images.subarray(0, DATASET_ROWS * 784), [DATASET_ROWS, 784]),
          ys: tf.tensor2d(examples.labels.subarray(0, DATASET_ROWS * 10), [DATASET_ROWS, 10]),
        };
  try {
    const model = fromLayersModel(layers);
    const run = (u: number) =>
      name === 'cnn' ? runTrain(model, microBatchSource(examples, name, N, u), N) : runTrain(model, datasetBatches(data!.xs, data!.ys, 1, u), N, MICRO_BATCH);
    for (let i = 0; i < 2; i++) run(i);
    const totals: number[] = [];
    const byName = new Map<string, { calls: number; ms: number[] }>();
    for (let u = 0; u < UPDATES; u++) {
      const started = performance.now();
      const info = await tf.profile(() => {
        run(2 + u);
      });
      totals.push(performance.now() - started);
      const update = new Map<string, { calls: number; ms: number }>();
      for (const k of info.kernels) {
        const entry = update.get(k.name) ?? { calls: 0, ms: 0 };
        entry.calls += 1;
        entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        update.set(k.name, entry);
      }
      for (const [kernel, e] of update) {
        const all = byName.get(kernel) ?? { calls: e.calls, ms: [] };
        all.ms.push(e.ms);
        byName.set(kernel, all);
      }
    }
    const median = (xs: ReadonlyArray<number>) => quantile([...xs, ...Array<number>(UPDATES - xs.length).fill(0)], 0.5);
    const kernels = [...byName.entries()].map(([kernel, e]) => ({ kernel, calls: e.calls, ms: median(e.ms) })).sort((a, b) => b.ms - a.ms);
    return { model: name, setup, totalMs: quantile(totals, 0.5), kernels };
  } finally {
    layers.dispose();
    if (data !== undefined) tf.dispose([data.xs, data.ys]);
    restore();
  }
}

/** Profiles the MLP and the CNN before and after, on wasm (which must be active, as run.ts does). */
export async function profile(examples: Examples): Promise<ProfileResult[]> {
  const out: ProfileResult[] = [];
  for (const name of ['mlp-256', 'cnn'] as const) {
    for (const setup of ['before', 'after'] as const) out.push(await profileOne(examples, name, setup));
  }
  return out;
}
