/**
 * Case 6, profile: where one train() update spends its time on wasm, kernel by kernel, before and after
 * useFastWasmKernels: `tf.profile` around one update (8 micro-batches of 32, Adam) of the MLP 784-256-10
 * and of the CLI's CNN, after two untimed warm-up updates. tf.profile times each kernel call with the
 * backend's timer (on wasm: wall time around the synchronous kernel), so the table says which kernels
 * dominate, not what an unprofiled update costs. Printed as a table per model: kernel, calls, total ms.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import { useFastWasmMatMul } from '../../lib/backends/useFastWasmMatMul.js';
import type { Examples } from '../../lib/data/types.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { makeLayers, microBatchSource, type ModelName, runTrain } from '../internal/fixtures.js';

const N = 8;

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
  try {
    const model = fromLayersModel(layers);
    for (let i = 0; i < 2; i++) runTrain(model, microBatchSource(examples, name, N, i), N);
    const started = performance.now();
    const info = await tf.profile(() => {
      runTrain(model, microBatchSource(examples, name, N, 2), N);
    });
    const totalMs = performance.now() - started;
    const byName = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const entry = byName.get(k.name) ?? { calls: 0, ms: 0 };
      entry.calls += 1;
      entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byName.set(k.name, entry);
    }
    const kernels = [...byName.entries()].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
    return { model: name, setup, totalMs, kernels };
  } finally {
    layers.dispose();
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
