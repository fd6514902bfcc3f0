/**
 * gradstream's benchmark suite: `npm run bench` (compiles bench/ with `tsc -p bench`, then runs this
 * with node). Four cases on real MNIST digits: the two MLPs on the `wasm` and `cpu` backends, the small
 * CNN on `wasm` only (see `modelsOn`); prints four tables and writes bench/results.json (machine,
 * versions, every figure with its median and spread).
 *
 * Timings are only ever compared as ratios of contenders alternated side by side in this one process,
 * after a warm-up (see internal/alternate.ts). Not a test: nothing here asserts.
 *
 * Flags: `--quick` (few rounds, to check that it runs), `--cases overhead,memory,fit,backends,kernels,profile,dashboard`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useFastWasmKernels } from '../lib/backends/useFastWasmKernels.js';
import { useFastWasmMatMul } from '../lib/backends/useFastWasmMatMul.js';
import { useWasmConvGradients } from '../lib/backends/useWasmConvGradients.js';
import { loadMnist } from '../app/src/data/loadMnist.js';
import { trainTestSplit } from '../lib/data/trainTestSplit.js';
import type { AlternateOptions } from './internal/alternate.js';
import { MODELS, SEED, type ModelName } from './internal/fixtures.js';
import { show, type Summary } from './internal/stats.js';
import { printTable } from './internal/table.js';
import { type BackendsResult, backends } from './cases/backends.js';
import { type FitResult, fitComparison } from './cases/fit.js';
import { type MemoryResult, memory } from './cases/memory.js';
import { type KernelsResult, kernels } from './cases/kernels.js';
import { type OverheadResult, overhead } from './cases/overhead.js';
import { type ProfileResult, profile } from './cases/profile.js';
import { type DashboardResult, dashboardCost } from './cases/dashboard.js';
import { type CheckpointResult, checkpointCase, UPDATES as CHECKPOINT_UPDATES } from './cases/checkpoint.js';
import { type CeilingResult, type WorkersResult, ceiling, pytorch, WARM_SAMPLES, WARM_WINDOWS, workersCase } from './cases/workers.js';
import { coreSpeeds } from './internal/coreSpeeds.js';

type Backend = 'wasm' | 'cpu';
const BACKENDS: ReadonlyArray<Backend> = ['wasm', 'cpu'];
const ALL_CASES = ['overhead', 'memory', 'fit', 'backends', 'kernels', 'profile', 'dashboard', 'workers', 'checkpoint'] as const;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const casesArg = args[args.indexOf('--cases') + 1];
const cases = new Set(args.includes('--cases') && casesArg ? casesArg.split(',') : ALL_CASES);

/**
 * Rounds and iterations per case, sized so that the whole suite stays well under 10 minutes on 2 shared
 * cores: an MLP update of 8 × 32 digits takes ~10 ms on wasm with the fast matmul and ~0.3-0.7 s on cpu;
 * a CNN update ~0.2 s on wasm (its filter gradients run in useWasmConvGradients' TypeScript loop), so
 * it gets iterations of one update and fewer rounds.
 */
function timing(kind: 'overhead' | 'fit' | 'backends' | 'checkpoint', backend: Backend | 'all', model: ModelName): AlternateOptions {
  if (quick) return { warmup: 1, rounds: 2, perRound: 1 };
  if (kind === 'checkpoint') return { warmup: 5, rounds: 10, perRound: 1 };
  if (model === 'cnn') return kind === 'fit' ? { warmup: 1, rounds: 8, perRound: 1 } : { warmup: 2, rounds: 12, perRound: 1 };
  if (kind === 'overhead') return backend === 'wasm' ? { warmup: 4, rounds: 20, perRound: 3 } : { warmup: 1, rounds: 14, perRound: 1 };
  if (kind === 'fit') return backend === 'wasm' ? { warmup: 2, rounds: 12, perRound: 2 } : { warmup: 1, rounds: 6, perRound: 1 };
  return { warmup: 1, rounds: 8, perRound: 1 };
}

/** Updates per timed iteration of the overhead case. */
const overheadUpdates = (backend: Backend, model: ModelName): number => (backend === 'wasm' && model !== 'cnn' ? 4 : 1);

/**
 * The models timed on `backend`: all three on wasm; on cpu only the MLPs, since one backward pass of the
 * small CNN over 32 digits takes seconds there (tfjs-backend-cpu's JavaScript conv and pooling
 * gradients), which would take the suite far past its 10 minutes. See docs/performance.md.
 */
const modelsOn = (backend: Backend): ReadonlyArray<ModelName> => (backend === 'wasm' ? MODELS : MODELS.filter((m) => m !== 'cnn'));

function machine() {
  // This file runs from node_modules/.cache/gradstream-bench/bench/: three levels up is node_modules/.
  const version = (pkg: string) =>
    (JSON.parse(readFileSync(new URL(`../../../${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model ?? 'unknown',
    cpuCount: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    tfjs: version('@tensorflow/tfjs'),
    tfjsBackendWasm: version('@tensorflow/tfjs-backend-wasm'),
    tinybench: version('tinybench'),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (message: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  // As the CLI's selectBackend does: without it the CNN cannot train on wasm (tfjs issue 8474). It stays
  // registered for the whole run (kernel registration is global, and the cpu backend is untouched).
  useWasmConvGradients();
  const examples = trainTestSplit(loadMnist(), { trainSize: 9000, testSize: 1000, seed: SEED }).train;

  const overheadResults: OverheadResult[] = [];
  const memoryResults: MemoryResult[] = [];
  const fitResults: FitResult[] = [];
  const backendResults: BackendsResult[] = [];
  const dashboardResults: DashboardResult[] = [];
  const checkpointResults: CheckpointResult[] = [];
  const wasmFlags: Record<string, unknown> = {};

  for (const backend of BACKENDS) {
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to initialise`);
    await tf.ready();
    if (backend === 'wasm') {
      for (const flag of ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT']) wasmFlags[flag] = tf.env().get(flag);
    }
    // On wasm, cases 1-3 run as a user should: with the fast matmul (case 4 measures what it brings).
    const restore = backend === 'wasm' ? useFastWasmMatMul() : undefined;
    try {
      for (const model of modelsOn(backend)) {
        if (cases.has('overhead')) {
          log(`overhead ${backend} ${model}`);
          overheadResults.push(await overhead(backend, examples, model, overheadUpdates(backend, model), timing('overhead', backend, model)));
        }
        if (cases.has('memory')) {
          log(`memory ${backend} ${model}`);
          memoryResults.push(await memory(backend, examples, model, quick ? [1, 8] : [1, 8, 64]));
        }
        // One model per backend: the dashboard's cost does not depend on the model, only on updates per second.
        if (cases.has('dashboard') && model === 'mlp-128') {
          log(`dashboard ${backend} ${model}`);
          dashboardResults.push(await dashboardCost(backend, examples, model, overheadUpdates(backend, model), timing('overhead', backend, model)));
        }
        if (cases.has('fit')) {
          log(`fit ${backend} ${model}`);
          fitResults.push(await fitComparison(backend, examples, model, 4, timing('fit', backend, model)));
        }
        // On wasm only: a save's cost does not depend on the backend (it reads the tensors once), the update's does.
        if (cases.has('checkpoint') && backend === 'wasm') {
          log(`checkpoint ${backend} ${model}`);
          checkpointResults.push(await checkpointCase(backend, examples, model, timing('checkpoint', backend, model)));
        }
      }
    } finally {
      restore?.();
    }
  }
  if (cases.has('backends')) {
    for (const model of modelsOn('wasm')) {
      log(`backends ${model}`);
      backendResults.push(await backends(examples, model, 1, timing('backends', 'all', model), modelsOn('cpu').includes(model)));
    }
  }

  let kernelsResult: KernelsResult | undefined;
  if (cases.has('kernels')) {
    log('kernels');
    await tf.setBackend('wasm');
    kernelsResult = await kernels(examples, quick);
  }
  let profileResults: ProfileResult[] = [];
  if (cases.has('profile')) {
    log('profile');
    await tf.setBackend('wasm');
    profileResults = await profile(examples);
  }

  const info = { ...machine(), wasm: wasmFlags };
  console.log(`\ngradstream bench: ${info.cpuCount} × ${info.cpuModel}, ${info.os}, Node ${info.node}, tfjs ${info.tfjs}`);
  console.log('Figures: median [p25–p75] over alternated rounds; ratios are of contenders timed side by side.');
  if (overheadResults.length > 0) {
    printTable(
      '1. Overhead: train() vs a hand-written tfjs accumulation loop (ms per update, micro-batch 32 × 8; ratio goal <= 1.03)',
      ['backend', 'model', 'train() ms/update', 'hand loop ms/update', 'ratio train/hand'],
      overheadResults.map((r) => [r.backend, r.model, show(r.trainMsPerUpdate, 1), show(r.handMsPerUpdate, 1), show(r.ratio)]),
    );
  }
  if (memoryResults.length > 0) {
    const ns = memoryResults[0]!.rows.map((r) => r.n);
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
    printTable(
      '2. Memory: peak tensor bytes above the start during one window of N micro-batches of 32',
      ['backend', 'model', 'params', ...ns.flatMap((n) => [`gradstream N=${n}`, `naive N=${n}`]), 'growth gradstream', 'growth naive'],
      memoryResults.map((r) => [
        r.backend,
        r.model,
        kb(r.paramBytes),
        ...r.rows.flatMap((row) => [kb(row.gradstreamBytes), kb(row.naiveBytes)]),
        `×${r.gradstreamGrowth.toFixed(3)}`,
        `×${r.naiveGrowth.toFixed(1)}`,
      ]),
    );
  }
  if (fitResults.length > 0) {
    printTable(
      '3. Against model.fit: examples per second, train() (micro-batch 32 × 8) vs tf.LayersModel.fit (batch 256)',
      ['backend', 'model', 'train() ex/s', 'model.fit ex/s', 'ratio train/fit'],
      fitResults.map((r) => [r.backend, r.model, show(r.trainExamplesPerSecond, 0), show(r.fitExamplesPerSecond, 0), show(r.speedRatio, 2)]),
    );
  }
  if (backendResults.length > 0) {
    const orDash = (s: Summary | undefined, format: (s: Summary) => string) => (s === undefined ? '—' : format(s));
    printTable(
      '4. Backends: one train() update (8 × 32 digits), ms per update and speed-ups',
      ['model', 'cpu ms', 'wasm ms', 'wasm+fast ms', 'fast matmul speed-up', 'wasm+fast vs cpu', 'wasm vs cpu'],
      backendResults.map((r) => [
        r.model,
        ...['cpu', 'wasm', 'wasm + useFastWasmMatMul'].map((k) => orDash(r.msPerUpdate[k], (s) => show(s, 1))),
        `×${show(r.fastMatMulSpeedup, 2)}`,
        orDash(r.wasmFastOverCpu ?? undefined, (s) => `×${show(s, 2)}`),
        orDash(r.wasmOverCpu ?? undefined, (s) => `×${show(s, 2)}`),
      ]),
    );
    if (backendResults.some((r) => r.wasmOverCpu === null)) {
      console.log('— not measured: on cpu one backward pass of the CNN over 32 digits takes seconds (tfjs-backend-cpu conv gradients).');
    }
  }

  if (kernelsResult !== undefined) printKernels(kernelsResult);
  for (const p of profileResults) {
    printTable(
      `6. Profile on wasm, ${p.model}, ${p.setup} useFastWasmKernels: one update (8 × 32, Adam) under tf.profile, median of 5: ${p.totalMs.toFixed(1)} ms in all`,
      ['kernel', 'calls', 'ms'],
      p.kernels.filter((k) => k.ms >= 0.05 * p.kernels[0]!.ms || k.ms >= 1).map((k) => [k.kernel, String(k.calls), k.ms.toFixed(2)]),
    );
  }
  if (dashboardResults.length > 0) {
    printTable(
      '7. Dashboard: train() + metrics() with a dashboard watched by two pages (one reading, one stalled) vs nobody watching (ms per update; ratio goal <= 1.02)',
      ['backend', 'model', 'dashboard ms/update', 'none ms/update', 'ratio dashboard/none', 'rows read', 'bytes held for the stalled page'],
      dashboardResults.map((r) => [r.backend, r.model, show(r.withMsPerUpdate, 1), show(r.withoutMsPerUpdate, 1), show(r.ratio), String(r.readerRows), String(r.stalledQueuedBytes)]),
    );
  }
  const workerResults: WorkersResult[] = [];
  const ceilings: CeilingResult[] = [];
  const torch: Array<{ microBatch: number; threads: number; msPerUpdate: Record<string, number> | undefined }> = [];
  let cores: ReadonlyArray<number> | undefined;
  if (cases.has('workers')) {
    log('core speeds');
    cores = coreSpeeds(quick ? 1 : 3);
    await tf.setBackend('wasm');
    await tf.ready();
    // As the CLI does on wasm; the workers install the same kernels (registrations are per thread).
    const restore = useFastWasmKernels();
    try {
      for (const microBatch of [32, 128]) {
        for (const pipeline of ['pre-split', 'dataset batch'] as const) {
          log(`workers ${microBatch} ${pipeline}`);
          // More rounds than the other cases: a round is 4 windows of ~12 ms at 32, and one pause of a thread (a
          // 3-10 ms scavenge, measured on this shared machine) moves its ratio by up to a fifth.
          const t = quick ? { warmup: 1, rounds: 2, perRound: 1 } : { warmup: 2, rounds: 24, perRound: 1 };
          workerResults.push(await workersCase(examples, microBatch, pipeline, t, quick ? 2 : WARM_WINDOWS));
        }
        log(`ceiling ${microBatch}`);
        ceilings.push(await ceiling(microBatch, quick ? 8 : 64, quick ? 3 : WARM_SAMPLES, quick ? 2 : 8));
        for (const threads of [1, 2]) {
          log(`pytorch ${microBatch} ${threads} thread(s)`);
          torch.push({ microBatch, threads, msPerUpdate: pytorch(microBatch, quick ? 5 : 40, threads) });
        }
      }
    } finally {
      restore();
    }
    const ceilingOf = (m: number) => ceilings.find((c) => c.microBatch === m)?.speedup.median ?? Number.NaN;
    printTable(
      '8. Workers: one update of MLP 784-256-10 (Adam, wasm + useFastWasmKernels) from 8 micro-batches, ms per update; two threads over one (goal >= 1.3 at 32, >= 1.6 at 128); ceiling = 2 threads with no synchronisation',
      ['micro-batch', 'pipeline', 'main thread ms', 'main + 1 worker ms', '2 workers ms', 'main+1 vs main', '2 workers vs main', 'ceiling', 'best / ceiling'],
      workerResults.map((r) => [
        String(r.microBatch),
        r.pipeline,
        ...['main thread', 'main + 1 worker', '2 workers'].map((k) => show(r.msPerUpdate[k] as Summary, 1)),
        `×${show(r.mainAndWorkerVsMain, 2)}`,
        `×${show(r.twoWorkersVsMain, 2)}`,
        ((c) => (c ? `×${show(c, 2)}` : 'n/a'))(ceilings.find((c) => c.microBatch === r.microBatch)?.speedup),
        `${((Math.max(r.mainAndWorkerVsMain.median, r.twoWorkersVsMain.median) / ceilingOf(r.microBatch)) * 100).toFixed(0)}%`,
      ]),
    );
    console.log(
      cores === undefined
        ? 'Core speeds: skipped (no taskset)'
        : `Core speeds, each core alone (a 128 × 784 by 784 × 256 wasm matmul, pinned with taskset): ${cores.map((ms, i) => `core ${i} ${ms.toFixed(2)} ms`).join(', ')}; slowest / fastest ×${(Math.max(...cores) / Math.min(...cores)).toFixed(2)}`,
    );
    if (torch.every((t) => t.msPerUpdate === undefined)) console.log('PyTorch: skipped: python3-torch not installed');
    else {
      const best = (m: number, p: WorkersResult['pipeline']) => {
        const r = workerResults.find((w) => w.microBatch === m && w.pipeline === p);
        return r ? Math.min(...Object.values(r.msPerUpdate).map((s) => s.median)) : Number.NaN;
      };
      printTable(
        '5b. Against PyTorch CPU (same work): ms per update, and gradstream (its fastest contender above) / PyTorch',
        ['micro-batch', 'torch threads', 'pipeline', 'PyTorch ms', 'gradstream ms', 'gradstream / PyTorch'],
        torch.flatMap((t) =>
          (['pre-split', 'dataset batch'] as const).map((p) => {
            const ms = t.msPerUpdate?.[p] ?? Number.NaN;
            return [String(t.microBatch), String(t.threads), p, ms.toFixed(1), best(t.microBatch, p).toFixed(1), `×${(best(t.microBatch, p) / ms).toFixed(2)}`];
          }),
        ),
      );
    }
  }

  if (checkpointResults.length > 0) {
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
    printTable(
      '9. Checkpoints: one saveCheckpoint (params + Adam state, fileStorage with fsync) vs one train() update (8 × 32 digits); main ms = its main-thread time; train+ckpt / train = 20 updates with checkpoints({ every: 1 }) over the same without, to the last update (saves made of 20); lost/save = training time lost per save made, in updates',
      ['backend', 'model', 'params', 'checkpoint', 'save ms', 'encode ms', 'main ms', 'update ms', 'save/update', 'encode/update', 'main/update', 'train+ckpt / train', 'lost/save'],
      checkpointResults.map((r) => [
        r.backend,
        r.model,
        kb(r.paramBytes),
        kb(r.checkpointBytes),
        show(r.saveMs, 1),
        show(r.encodeMs, 1),
        r.mainMs.toFixed(1),
        show(r.updateMs, 1),
        show(r.ratio),
        show(r.encodeRatio),
        (r.mainMs / r.updateMs.median).toFixed(2),
        r.trainingCost && r.savesPerRun !== undefined ? `${show(r.trainingCost)} (${r.savesPerRun.toFixed(1)} saves)` : 'n/a',
        // Training time lost per save made, in updates: what one save costs a run, whatever the cadence.
        r.trainingCost && r.savesPerRun ? (((r.trainingCost.median - 1) * CHECKPOINT_UPDATES) / r.savesPerRun).toFixed(2) : 'n/a',
      ]),
    );
  }

  const results = {
    date: new Date().toISOString(),
    quick,
    machine: info,
    backends: BACKENDS,
    seconds: Math.round((Date.now() - started) / 1000),
    overhead: overheadResults,
    memory: memoryResults,
    fit: fitResults,
    backendComparison: backendResults,
    checkpoint: checkpointResults,
    kernels: kernelsResult ?? null,
    profile: profileResults,
    dashboard: dashboardResults,
    workers: workerResults,
    ceilings,
    coreSpeedsMs: cores ?? null,
    pytorch: torch,
  };
  const out = fileURLToPath(new URL('../../../../bench/results.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${out}`);
}

function printKernels(r: KernelsResult): void {
  printTable(
    '5a. Slice on wasm: 32 rows of a float32 [rows, 784] tensor, tfjs-backend-wasm\'s kernel vs useFastWasmKernels (ms per slice)',
    ['rows', 'stock ms', 'fast ms', 'speed-up'],
    r.slice.map((s) => [String(s.rows), show(s.stockMs, 4), show(s.fastMs, 4), `×${show(s.speedup, 1)}`]),
  );
  const p = r.pipeline;
  printTable(
    '5b. Dataset batches on wasm: MLP 784-256-10, Adam, 256-example batches sliced from a 4096-row tensor and split by microBatchSize 32, vs pre-split micro-batches (ms per update)',
    ['pipeline', 'ms/update'],
    Object.entries(p.msPerUpdate).map(([k, v]) => [k, show(v, 1)]),
  );
  console.log(`dataset / pre-split, both fast: ×${show(p.datasetOverPreSplit)} (goal <= 1.05); stock Slice / fast: ×${show(p.datasetSpeedup, 2)}`);
  const c = r.cnn;
  printTable(
    '5c. CNN update (the CLI\'s CNN, micro-batch 32 × 8, Adam): wasm before and after useFastWasmKernels, and PyTorch CPU, in the same rounds (ms per update)',
    ['contender', 'ms/update'],
    Object.entries(c.msPerUpdate).map(([k, v]) => [k, show(v, 1)]),
  );
  console.log(`after / before: speed-up ×${show(c.speedup, 2)}`);
  if ('skipped' in c.torch) console.log(`PyTorch: skipped: ${c.torch.skipped}`);
  else {
    console.log(`after / PyTorch ${c.torch.version} 1 thread: ×${show(c.torch.afterOverThreads1, 2)} (goal <= 2.5); after / PyTorch 2 threads: ×${show(c.torch.afterOverThreads2, 2)}`);
  }
  const k = r.clones;
  printTable(
    '5d. Clones on wasm: one update (micro-batch 32 × 8, Adam) with useFastWasmKernels, whose Identity and Cast share memory, and the same with tfjs-backend-wasm\'s, which copy (ms per update)',
    ['contender', 'ms/update'],
    Object.entries(k.msPerUpdate).map(([name, v]) => [name, show(v, 1)]),
  );
  console.log(`copying / sharing: MLP ×${show(k.mlpSpeedup, 3)}, CNN ×${show(k.cnnSpeedup, 3)}`);
}

await main();
