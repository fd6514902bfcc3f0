/**
 * Case 5, kernels: what useFastWasmKernels() brings on wasm, each figure a ratio of contenders alternated
 * side by side in this one process (kernels switched in untimed hooks):
 * - Slice: 32 rows from a 256×784 batch and from a 4096×784 dataset tensor, tfjs's kernel vs ours;
 * - the dataset-batch pipeline (whole 256-example batches sliced from a 4096-row dataset tensor, split by
 *   `microBatchSize` 32, accumulationSteps 8, MLP 784-256-10, Adam) against the pre-split pipeline
 *   (micro-batches of 32 made directly), both with the fast kernels, and the dataset pipeline before;
 * - one update of the CLI's CNN (micro 32 × 8, Adam): before (useFastWasmMatMul + useWasmConvGradients,
 *   what the CLI did) and after (useFastWasmKernels);
 * - the same CNN update in PyTorch CPU (bench/torch_cnn.py, served by a /usr/bin/python3 process per
 *   thread count, 1 and 2, alternated in the same rounds; each of its iterations includes a pipe round
 *   trip of well under a millisecond), when python3-torch is importable; skipped loudly otherwise;
 * - one update of the MLP (pre-split, micro 32 × 8) and of the CNN with the fast kernels, against the same
 *   with tfjs-backend-wasm's own Identity and Cast, which copy where ours share memory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { from, map, type Observable } from 'rxjs';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import { useFastWasmMatMul } from '../../lib/backends/useFastWasmMatMul.js';
import type { Batch } from '../../lib/batch/types.js';
import type { Examples } from '../../lib/data/types.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { alternate, type AlternateOptions, type Contender, ratio } from '../internal/alternate.js';
import { makeLayers, MICRO_BATCH, microBatchSource, runTrain } from '../internal/fixtures.js';
import { type Summary, summarize } from '../internal/stats.js';

const N = 8;
const BATCH = MICRO_BATCH * N;
export const DATASET_ROWS = 4096;
const SLICES_PER_ITERATION = 20;

export interface SliceResult {
  readonly rows: number;
  readonly stockMs: Summary;
  readonly fastMs: Summary;
  /** stock over fast: the speed-up of one 32-row slice. */
  readonly speedup: Summary;
}

export interface PipelineResult {
  readonly msPerUpdate: Readonly<Record<string, Summary>>;
  /** dataset pipeline over pre-split, both with the fast kernels (goal <= 1.05). */
  readonly datasetOverPreSplit: Summary;
  /** dataset pipeline without over with the fast kernels. */
  readonly datasetSpeedup: Summary;
}

export interface CnnResult {
  readonly msPerUpdate: Readonly<Record<string, Summary>>;
  /** before over after. */
  readonly speedup: Summary;
  /** after over PyTorch CPU, by thread count, timed in the same rounds; or why it was skipped. */
  readonly torch: { readonly version: string; readonly afterOverThreads1: Summary; readonly afterOverThreads2: Summary } | { readonly skipped: string };
}

export interface ClonesResult {
  readonly msPerUpdate: Readonly<Record<string, Summary>>;
  /** Copying Identity and Cast over sharing ones (> 1: sharing is faster), per model. */
  readonly mlpSpeedup: Summary;
  readonly cnnSpeedup: Summary;
}

export interface KernelsResult {
  readonly slice: ReadonlyArray<SliceResult>;
  readonly pipeline: PipelineResult;
  readonly cnn: CnnResult;
  readonly clones: ClonesResult;
}

/** A contender that runs with useFastWasmKernels() on (`fast`) or with only useFastWasmMatMul(). */
function withKernels(name: string, fast: boolean, fn: () => unknown): Contender {
  let restore: (() => void) | undefined;
  return {
    name,
    fn,
    setup: () => {
      restore = fast ? useFastWasmKernels() : useFastWasmMatMul();
    },
    teardown: () => {
      restore?.();
      restore = undefined;
    },
  };
}

/** A contender with useFastWasmKernels() on, but tfjs-backend-wasm's own Identity and Cast (which copy) in place of ours. */
function withCopyingClones(name: string, fn: () => unknown): Contender {
  let restore: (() => void) | undefined;
  return {
    name,
    fn,
    setup: () => {
      const stock = [tf.Identity, tf.Cast].map((n) => tf.getKernel(n, 'wasm') as tf.KernelConfig);
      restore = useFastWasmKernels();
      for (const config of stock) {
        tf.unregisterKernel(config.kernelName, 'wasm');
        tf.registerKernel(config);
      }
    },
    // Ours are no longer registered, so restore leaves the stock ones in place: as before the setup.
    teardown: () => {
      restore?.();
      restore = undefined;
    },
  };
}

async function sliceCase(rows: number, timing: AlternateOptions): Promise<SliceResult> {
  const x = tf.randomUniform([rows, 784], 0, 1, 'float32', 1);
  const offsets = Array.from({ length: SLICES_PER_ITERATION }, (_, i) => ((i * 97) % (rows / MICRO_BATCH)) * MICRO_BATCH);
  const slices = () => {
    for (const at of offsets) tf.slice(x, [at, 0], [MICRO_BATCH, 784]).dispose();
  };
  try {
    const [stock, fast] = await alternate([withKernels('stock', false, slices), withKernels('fast', true, slices)], timing);
    const per = (ms: ReadonlyArray<number>) => summarize(ms.map((m) => m / SLICES_PER_ITERATION));
    return { rows, stockMs: per(stock!.roundMedians), fastMs: per(fast!.roundMedians), speedup: ratio(stock!, fast!) };
  } finally {
    x.dispose();
  }
}

/** `updates` whole batches of 256 sliced from the dataset tensors, in order, wrapping around. */
export function datasetBatches(xs: tf.Tensor2D, ys: tf.Tensor2D, updates: number, start: number): Observable<Batch> {
  const per = DATASET_ROWS / BATCH;
  const offsets = Array.from({ length: updates }, (_, i) => ((start + i) % per) * BATCH);
  // Sliced lazily, as each batch is taken, like any dataset iterator.
  return from(offsets).pipe(map((at) => ({ xs: tf.slice(xs, [at, 0], [BATCH, 784]), ys: tf.slice(ys, [at, 0], [BATCH, 10]) })));
}

async function pipelineCase(examples: Examples, timing: AlternateOptions): Promise<PipelineResult> {
  const xs = tf.tensor2d(examples.images.subarray(0, DATASET_ROWS * 784), [DATASET_ROWS, 784]);
  const ys = tf.tensor2d(examples.labels.subarray(0, DATASET_ROWS * 10), [DATASET_ROWS, 10]);
  const layers = ['pre-split', 'dataset', 'dataset before'].map(() => makeLayers('mlp-256'));
  const models = layers.map((l) => fromLayersModel(l));
  let round = 0;
  try {
    const contenders = [
      withKernels('pre-split micro-batches, fast kernels', true, () => runTrain(models[0]!, microBatchSource(examples, 'mlp-256', N, round++), N)),
      withKernels('dataset batches, fast kernels', true, () => runTrain(models[1]!, datasetBatches(xs, ys, 1, round++), N, MICRO_BATCH)),
      withKernels('dataset batches, stock Slice', false, () => runTrain(models[2]!, datasetBatches(xs, ys, 1, round++), N, MICRO_BATCH)),
    ];
    const [pre, dataset, before] = await alternate(contenders, timing);
    return {
      msPerUpdate: Object.fromEntries([pre!, dataset!, before!].map((t) => [t.name, summarize(t.roundMedians)])),
      datasetOverPreSplit: ratio(dataset!, pre!),
      datasetSpeedup: ratio(before!, dataset!),
    };
  } finally {
    tf.dispose([xs, ys]);
    layers.forEach((l) => l.dispose());
  }
}

/** A PyTorch process serving CNN updates (bench/torch_cnn.py), as a contender; `undefined` when torch is absent. */
interface TorchServer {
  readonly contender: Contender;
  readonly version: string;
  readonly close: () => void;
}

async function torchServer(threads: number): Promise<TorchServer | string> {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return 'python3-torch not installed';
  // This file runs from node_modules/.cache/gradstream-bench/bench/cases/: five levels up is the repository.
  const script = fileURLToPath(new URL('../../../../../bench/torch_cnn.py', import.meta.url));
  const child = spawn(python, [script, '--threads', String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done === true) throw new Error(`torch_cnn.py (${threads} threads) ended early`);
    return line.value;
  };
  const ready = await next();
  if (!ready.startsWith('ready')) throw new Error(`torch_cnn.py: unexpected ${ready}`);
  return {
    version: ready.split(' ')[1] ?? 'unknown',
    contender: {
      name: `PyTorch CPU, ${threads} thread${threads === 1 ? '' : 's'}`,
      fn: async () => {
        child.stdin.write('1\n');
        await next();
      },
    },
    close: () => {
      child.stdin.end();
    },
  };
}

async function cnnCase(examples: Examples, timing: AlternateOptions): Promise<CnnResult> {
  const layers = [makeLayers('cnn'), makeLayers('cnn')];
  const models = layers.map((l) => fromLayersModel(l));
  const torch = [await torchServer(1), await torchServer(2)];
  const servers = torch.filter((t): t is TorchServer => typeof t !== 'string');
  let round = 0;
  try {
    const [before, after, ...pytorch] = await alternate(
      [
        withKernels('before (useFastWasmMatMul + useWasmConvGradients)', false, () => runTrain(models[0]!, microBatchSource(examples, 'cnn', N, round++), N)),
        withKernels('after (useFastWasmKernels)', true, () => runTrain(models[1]!, microBatchSource(examples, 'cnn', N, round++), N)),
        ...servers.map((s) => s.contender),
      ],
      timing,
    );
    return {
      msPerUpdate: Object.fromEntries([before!, after!, ...pytorch].map((t) => [t.name, summarize(t.roundMedians)])),
      speedup: ratio(before!, after!),
      torch:
        pytorch.length === 2
          ? { version: servers[0]!.version, afterOverThreads1: ratio(after!, pytorch[0]!), afterOverThreads2: ratio(after!, pytorch[1]!) }
          : { skipped: typeof torch[0] === 'string' ? torch[0] : 'python3-torch not usable' },
    };
  } finally {
    servers.forEach((s) => s.close());
    layers.forEach((l) => l.dispose());
  }
}

async function clonesCase(examples: Examples, timing: AlternateOptions): Promise<ClonesResult> {
  const kinds = ['mlp-256', 'mlp-256', 'cnn', 'cnn'] as const;
  const layers = kinds.map((k) => makeLayers(k));
  const models = layers.map((l) => fromLayersModel(l));
  let round = 0;
  const update = (i: number) => () => runTrain(models[i]!, microBatchSource(examples, kinds[i]!, N, round++), N);
  try {
    const [mlpShared, mlpCopied, cnnShared, cnnCopied] = await alternate(
      [
        withKernels('MLP 784-256-10, fast kernels', true, update(0)),
        withCopyingClones('MLP 784-256-10, fast kernels but copying Identity and Cast', update(1)),
        withKernels('CNN, fast kernels', true, update(2)),
        withCopyingClones('CNN, fast kernels but copying Identity and Cast', update(3)),
      ],
      timing,
    );
    return {
      msPerUpdate: Object.fromEntries([mlpShared!, mlpCopied!, cnnShared!, cnnCopied!].map((t) => [t.name, summarize(t.roundMedians)])),
      mlpSpeedup: ratio(mlpCopied!, mlpShared!),
      cnnSpeedup: ratio(cnnCopied!, cnnShared!),
    };
  } finally {
    layers.forEach((l) => l.dispose());
  }
}

/**
 * Runs case 5 on the wasm backend (which must be active, with useWasmConvGradients() registered, as
 * run.ts does). Leaves the kernels as it found them.
 */
export async function kernels(examples: Examples, quick: boolean): Promise<KernelsResult> {
  const t = (rounds: number, perRound: number): AlternateOptions => (quick ? { warmup: 1, rounds: 2, perRound: 1 } : { warmup: 2, rounds, perRound });
  const slice = [await sliceCase(256, t(20, 3)), await sliceCase(DATASET_ROWS, t(20, 3))];
  const pipeline = await pipelineCase(examples, t(16, 2));
  const cnn = await cnnCase(examples, t(12, 1));
  const clones = await clonesCase(examples, t(16, 2));
  return { slice, pipeline, cnn, clones };
}
