import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  Subject,
  asyncScheduler,
  concatMap,
  firstValueFrom,
  filter,
  fromEvent,
  lastValueFrom,
  merge,
  range,
  take,
  tap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import {
  CheckpointError,
  checkpoints,
  chain,
  fingerprintOf,
  loadCheckpoint,
  type LoadedCheckpoint,
  type Params,
  type TrainState,
  writeParams,
  clipByGlobalNorm,
  evaluate,
  fromLayersModel,
  linearWarmup,
  losses,
  optimizerFromName,
  shuffledBatches,
  tapMetrics,
  train,
  trainTestSplit,
  type GradientTransformation,
  type MetricEvent,
  type TrainStep,
} from 'gradstream';
import { serveDashboard } from '../dashboard/serveDashboard.js';
import { workerPool } from 'gradstream/node';
import { fileModelHandler, fileStorage } from 'gradstream/node';
import { loadMnist } from '../data/loadMnist.js';
import { mnistCnn } from '../models/mnistCnn.js';
import { mnistMlp } from '../models/mnistMlp.js';
import { plainLines } from '../monitor/plainLines.js';
import { progressBar } from '../monitor/progressBar.js';
import { writeJsonl } from '../monitor/writeJsonl.js';
import { writeLossChart } from '../monitor/writeLossChart.js';
import { writeSummary, type Summary } from '../monitor/writeSummary.js';
import { selectBackend } from './selectBackend.js';
import type { TrainConfig } from './types.js';

/** The edges {@link runTrain} touches, replaceable in tests. */
export interface TrainIo {
  /** Where progress goes: a bar if it is a terminal, plain lines otherwise. Default `process.stdout`. */
  readonly stdout?: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean });
  /** Where errors go. Default `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
  /**
   * Emits to stop the run cleanly, saving the open window in a checkpoint. Default: the first SIGINT
   * (Ctrl-C) or SIGTERM; a second one kills as usual.
   */
  readonly interrupt?: Observable<unknown>;
  /** Schedules the batches; the event loop must run between them for `interrupt` to be heard. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Selects the backend. Default {@link selectBackend}. */
  readonly selectBackend?: (name: TrainConfig['backend']) => Promise<void>;
  /** The workers' script, for runs from sources or bundles. Default: the one next to `gradstream/node`. */
  readonly workerUrl?: URL;
}

const optimizerOf = (config: TrainConfig): GradientTransformation<unknown> => {
  const learningRate =
    config.warmup > 0 ? linearWarmup({ peak: config.learningRate, warmupSteps: config.warmup }) : config.learningRate;
  const base = optimizerFromName(config.optimizer, { learningRate }) as GradientTransformation<unknown>;
  return config.clip === null ? base : (chain(clipByGlobalNorm(config.clip), base) as GradientTransformation<unknown>);
};

/** Updates in a run: windows of `accumulate` micro-batches over every epoch's micro-batches, the last one partial. */
const totalUpdates = (c: TrainConfig): number => Math.ceil((c.epochs * Math.ceil(c.trainSize / c.microBatch)) / c.accumulate);

/**
 * `gradstream train`: trains the digit classifier of `config` and writes its run folder. The whole run
 * is one pipeline,
 *
 *     epochs of shuffled micro-batches → takeUntil(Ctrl-C) → train() → tapMetrics(events)
 *
 * subscribed once, and every consumer subscribes to the `events` Subject before it starts: the progress
 * bar or plain lines, `metrics.jsonl`, `summary.json`, `loss.svg`, as the library's docs show for any
 * user. Ctrl-C completes the batch source, so train applies the partial window and completes, tapMetrics
 * evaluates the last parameters and completes `events`, and every file is flushed and closed; the summary
 * records `interrupted: true`.
 *
 * ## Example
 * ```ts
 * const code = await runTrain(config); // 0 on success, 1 if the run failed
 * ```
 *
 * @param config the checked configuration from {@link parseCommandLine}
 * @param io the process's edges (output streams, interruption, scheduler, backend)
 * @returns the exit code: 0 when the run completes or is interrupted cleanly, 1 when it fails
 */
export async function runTrain(config: TrainConfig, io: TrainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const interrupt = io.interrupt ?? merge(fromEvent(process, 'SIGINT'), fromEvent(process, 'SIGTERM')).pipe(take(1));
  let interrupted = false;
  let resumed: LoadedCheckpoint | undefined;

  try {
    await (io.selectBackend ?? selectBackend)(config.backend);
    const { train: trainSet, test } = trainTestSplit(loadMnist(), { trainSize: config.trainSize, testSize: config.testSize, seed: config.seed });
    const inputShape = config.model === 'cnn' ? [28, 28, 1] : [784];
    const layersModel = config.model === 'cnn' ? mnistCnn({ seed: config.seed }) : mnistMlp({ seed: config.seed });
    const model = fromLayersModel(layersModel);
    const loss = losses.softmaxCrossEntropy;
    // Every worker count gives the same samples in the same order, so the same metrics: workers only
    // decide where the micro-batches are computed (0: all on the main thread, as without a pool).
    const gradients =
      config.workers === 0 ? undefined : workerPool({ workers: config.workers, ...(io.workerUrl ? { workerUrl: io.workerUrl } : {}) });
    mkdirSync(config.out, { recursive: true });
    const optimizer = optimizerOf(config);
    // The CLI's micro-batches are the source's batches: their size is part of the configuration.
    const fingerprint = fingerprintOf({ model, optimizer, accumulationSteps: config.accumulate, microBatchSize: config.microBatch });
    const random = { seed: config.seed, trainSize: config.trainSize, testSize: config.testSize };
    resumed = config.resume === null ? undefined : await resumeFrom(config, fingerprint, random, stderr);
    const storage = await fileStorage(config.checkpointDir);
    const startAt = resumed?.position.examples ?? 0;
    const firstEpoch = Math.floor(startAt / config.trainSize);
    const updatesPerEpoch = Math.max(1, Math.round(config.trainSize / config.microBatch / config.accumulate));
    const recorded = { ...config, resumedFrom: resumed === undefined ? null : join(config.checkpointDir, resumed.name) };

    // Every consumer subscribes to one Subject before the run starts; the run itself is subscribed once.
    const events = new Subject<MetricEvent>();
    // The dashboard is one more consumer of the events; it listens before the run starts.
    const dashboard = config.dashboard
      ? await serveDashboard(events, { port: config.port, host: config.host, name: basename(config.out), config })
      : undefined;
    if (dashboard !== undefined) stdout.write(`dashboard at ${dashboard.url}\n`);
    const files = Promise.all([
      writeJsonl(events, join(config.out, 'metrics.jsonl')),
      writeSummary(events, { path: join(config.out, 'summary.json'), config: recorded, interrupted: () => interrupted }),
      writeLossChart(events, join(config.out, 'loss.svg')),
    ]);
    if (!config.quiet) {
      if (stdout.isTTY) progressBar(events, { totalUpdates: totalUpdates(config), epochs: config.epochs, stream: stdout });
      else plainLines(events, { totalUpdates: totalUpdates(config), write: (line) => stdout.write(`${line}\n`) });
    }

    // The last state is ours when the run ends, however it ends: kept here to be freed below.
    let last: TrainState | undefined;
    const run = lastValueFrom(
      range(firstEpoch, Math.max(0, config.epochs - firstEpoch)).pipe(
        concatMap((epoch) =>
          shuffledBatches({
            examples: trainSet,
            batchSize: config.microBatch,
            seed: config.seed,
            epoch,
            inputShape,
            scheduler: io.scheduler ?? asyncScheduler,
            startAt: epoch === firstEpoch ? startAt - firstEpoch * config.trainSize : 0,
          }),
        ),
        train({
          model,
          loss,
          optimizer,
          accumulationSteps: config.accumulate,
          stop: interrupt.pipe(tap(() => (interrupted = true))),
          ...(resumed ? { initialState: resumed.state } : {}),
          ...(gradients ? { gradients } : {}),
        }),
        checkpoints(storage, {
          fingerprint,
          random,
          every: config.checkpointEvery === 'epoch' ? updatesPerEpoch : config.checkpointEvery,
          keep: 3,
        }),
        tap((event) => (last = event.state)),
        filter((event): event is TrainStep => !('stopped' in event)),
        tapMetrics(events, { examplesPerEpoch: config.trainSize, evaluate: evaluate({ model, loss, examples: test, inputShape }) }),
      ),
      { defaultValue: undefined },
    );

    try {
      const [, [, summary]] = await Promise.all([run, files]);
      // The trained model, as tf.loadLayersModel reads it: the last params (or the resumed ones, if the run
      // had nothing left to do) written into the Layers model.
      await saveModel(layersModel, last?.params ?? resumed?.state.params ?? model.params, join(config.out, 'model'));
      if (!config.quiet) stdout.write(`${finalLine(summary, config.out)}\n`);
      if (dashboard !== undefined) {
        stdout.write(`the dashboard stays at ${dashboard.url} until Ctrl-C\n`);
        await firstValueFrom(interrupt, { defaultValue: undefined });
        await dashboard.close();
      }
      return 0;
    } finally {
      // The last state's tensors are ours once the stream has ended, and so is what a checkpoint loaded.
      const owned = [last, resumed?.state].filter((s) => s !== undefined);
      tf.dispose(owned.flatMap((s) => [s.params, s.optimizerState, s.window ?? {}] as tf.TensorContainer[]));
      layersModel.dispose();
    }
  } catch (error) {
    stderr.write(`gradstream train: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function saveModel(layersModel: tf.LayersModel, params: Params, dir: string): Promise<void> {
  writeParams(layersModel, params);
  await layersModel.save(fileModelHandler(dir));
}

/**
 * The checkpoint `--resume` names: a checkpoint directory, or `latest` (the newest valid one in
 * `--checkpoint-dir`, saying on stderr which corrupt ones it passed over). Refuses a checkpoint of another
 * data split or seed, whose data position would mean other examples.
 */
async function resumeFrom(
  config: TrainConfig,
  fingerprint: ReturnType<typeof fingerprintOf>,
  random: { seed: number; trainSize: number; testSize: number },
  stderr: NodeJS.WritableStream,
): Promise<LoadedCheckpoint> {
  const latest = config.resume === 'latest';
  const storage = await fileStorage(latest ? config.checkpointDir : dirname(config.resume as string));
  let skipped = 0;
  const loaded = await loadCheckpoint(storage, {
    fingerprint,
    ...(latest ? {} : { name: basename(config.resume as string) }),
    onSkipped: (e) => {
      skipped += 1;
      stderr.write(`gradstream train: skipping invalid checkpoint: ${e.message}\n`);
    },
  });
  if (skipped > 0) stderr.write(`gradstream train: resuming from ${loaded.name}, the newest valid checkpoint\n`);
  const saved = loaded.random as Record<string, unknown> | null;
  const other = Object.entries(random).find(([k, v]) => saved?.[k] !== v);
  if (other !== undefined) {
    tf.dispose([loaded.state.params, loaded.state.optimizerState as tf.TensorContainer, (loaded.state.window ?? {}) as tf.TensorContainer]);
    throw new CheckpointError(loaded.name, 'checkpoint.json', `was saved with --${other[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(saved?.[other[0]])}, not ${other[1]}`);
  }
  return loaded;
}

const finalLine = (s: Summary<TrainConfig>, out: string): string =>
  [
    s.interrupted ? 'interrupted' : 'done',
    `${s.updates} updates`,
    s.finalTestAccuracy === null ? 'no evaluation' : `test accuracy ${(s.finalTestAccuracy * 100).toFixed(2)}%`,
    `${(s.wallTimeMs / 1000).toFixed(1)} s`,
    `${Math.round(s.examplesPerSecond)} ex/s`,
    `files in ${out}`,
  ].join(' | ');
