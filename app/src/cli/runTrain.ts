import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ReplaySubject, Subject, asyncScheduler, concatMap, firstValueFrom, filter, lastValueFrom, range, startWith, take, tap, type Observable, type SchedulerLike } from 'rxjs';
import {
  checkpoints,
  chain,
  fingerprintOf,
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
import { interruptSignals } from './interruptSignals.js';
import { resumeFrom, type Resumed } from './resumeFrom.js';
import { runFinished } from './runFinished.js';
import { runHistory } from './runHistory.js';
import { selectBackend } from './selectBackend.js';
import type { TrainConfig } from './types.js';

/** The edges {@link runTrain} touches, replaceable in tests. */
export interface TrainIo {
  /** Where progress goes: a bar if it is a terminal, plain lines otherwise. Default `process.stdout`. */
  readonly stdout?: NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean });
  /** Where errors go. Default `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
  /**
   * Emits to stop the run cleanly, saving the open window in a checkpoint (and, after a run that ended by
   * itself, to close the dashboard). Default {@link interruptSignals}: the first SIGINT (Ctrl-C) or
   * SIGTERM; a second one ends the process at once.
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
 *     epochs of shuffled micro-batches → train(stop: signal) → checkpoints → tapMetrics(events)
 *
 * subscribed once, and every consumer subscribes to the `events` Subject before it starts: the progress
 * bar or plain lines, `metrics.jsonl`, `summary.json`, `loss.svg`, as the library's docs show for any
 * user. A signal (SIGINT or SIGTERM) stops train, which hands over its open window; checkpoints saves it,
 * tapMetrics evaluates the last parameters and completes `events`, every file is flushed and closed, the
 * summary records `interrupted: true`, and the process exits (with the dashboard too). After a run that
 * ended by itself, the dashboard stays up until a signal.
 *
 * A resumed run continues its run folder (see {@link runHistory}): `metrics.jsonl` is cut back to the
 * resumed update and appended to, and the summary and chart cover the whole run. Resuming a run that has
 * finished says so and changes nothing.
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
  const say = (line: string): void => void (config.quiet || stdout.write(`${line}\n`));
  // One subscription for the whole command, so no signal falls between training and the dashboard's wait.
  const signal = new ReplaySubject<unknown>(1);
  const listening = (io.interrupt ?? interruptSignals()).pipe(take(1)).subscribe(signal);
  let interrupted = false;
  let resumed: Resumed | undefined;
  let dashboard: Awaited<ReturnType<typeof serveDashboard>> | undefined;
  // The last state is ours when the run ends, however it ends: kept here to be freed below.
  let last: TrainState | undefined;
  const layersModel = config.model === 'cnn' ? mnistCnn({ seed: config.seed }) : mnistMlp({ seed: config.seed });

  try {
    await (io.selectBackend ?? selectBackend)(config.backend);
    const { train: trainSet, test } = trainTestSplit(loadMnist(), { trainSize: config.trainSize, testSize: config.testSize, seed: config.seed });
    const inputShape = config.model === 'cnn' ? [28, 28, 1] : [784];
    const model = fromLayersModel(layersModel);
    const loss = losses.softmaxCrossEntropy;
    const optimizer = optimizerOf(config);
    // The CLI's micro-batches are the source's batches: their size is part of the configuration.
    const fingerprint = fingerprintOf({ model, optimizer, accumulationSteps: config.accumulate, microBatchSize: config.microBatch });
    const random = { seed: config.seed, trainSize: config.trainSize, testSize: config.testSize };
    resumed = config.resume === null ? undefined : await resumeFrom(config, fingerprint, random, stderr);
    if (resumed !== undefined && (await runFinished(resumed, config))) {
      say(`the run already finished: checkpoint ${resumed.checkpoint.name} holds all ${config.epochs} epochs; nothing changed`);
      return 0;
    }
    mkdirSync(config.out, { recursive: true });
    const history = resumed === undefined ? undefined : await runHistory(config, resumed);
    const storage = await fileStorage(config.checkpointDir);
    const startAt = resumed?.checkpoint.position.examples ?? 0;
    const firstEpoch = Math.floor(startAt / config.trainSize);
    const updatesPerEpoch = Math.max(1, Math.round(config.trainSize / config.microBatch / config.accumulate));
    const recorded = { ...config, resumedFrom: resumed === undefined ? null : join(resumed.folder, resumed.checkpoint.name) };
    // Every worker count gives the same samples in the same order, so the same metrics: workers only
    // decide where the micro-batches are computed (0: all on the main thread, as without a pool).
    const gradients =
      config.workers === 0 ? undefined : workerPool({ workers: config.workers, ...(io.workerUrl ? { workerUrl: io.workerUrl } : {}) });

    // Every consumer subscribes to one Subject before the run starts; the run itself is subscribed once.
    // Those that cover the whole run see a resumed run's history first; metrics.jsonl already holds it.
    const events = new Subject<MetricEvent>();
    const whole: Observable<MetricEvent> = history === undefined ? events : events.pipe(startWith(...history));
    dashboard = config.dashboard ? await serveDashboard(whole, { port: config.port, host: config.host, name: basename(config.out), config }) : undefined;
    if (dashboard !== undefined) stdout.write(`dashboard at ${dashboard.url}\n`);
    const files = Promise.all([
      writeJsonl(events, join(config.out, 'metrics.jsonl'), { append: history !== undefined }),
      writeSummary(whole, { path: join(config.out, 'summary.json'), config: recorded, interrupted: () => interrupted }),
      writeLossChart(whole, join(config.out, 'loss.svg')),
    ]);
    if (!config.quiet) {
      if (stdout.isTTY) progressBar(events, { totalUpdates: totalUpdates(config), epochs: config.epochs, stream: stdout });
      else plainLines(events, { totalUpdates: totalUpdates(config), write: (line) => stdout.write(`${line}\n`) });
    }
    const stop = signal.pipe(
      tap(() => {
        interrupted = true;
        say('stopping: saving the open window (a second signal ends the process at once)');
      }),
    );

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
          stop,
          ...(resumed ? { initialState: resumed.checkpoint.state } : {}),
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

    const [, [, summary]] = await Promise.all([run, files]);
    // The trained model, as tf.loadLayersModel reads it: the last params (or the resumed ones, if the run
    // had nothing left to do) written into the Layers model.
    await saveModel(layersModel, last?.params ?? resumed?.checkpoint.state.params ?? model.params, join(config.out, 'model'));
    say(finalLine(summary, config.out));
    // After a run that ended by itself the page stays up for the user; after a signal, the process exits.
    if (dashboard !== undefined && !interrupted) {
      stdout.write(`the dashboard stays at ${dashboard.url} until Ctrl-C or SIGTERM\n`);
      await firstValueFrom(signal, { defaultValue: undefined });
    }
    return 0;
  } catch (error) {
    stderr.write(`gradstream train: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    listening.unsubscribe();
    await dashboard?.close();
    // The last state's tensors are ours once the stream has ended, and so is what a checkpoint loaded.
    const owned = [last, resumed?.checkpoint.state].filter((s) => s !== undefined);
    tf.dispose(owned.flatMap((s) => [s.params, s.optimizerState, s.window ?? {}] as tf.TensorContainer[]));
    layersModel.dispose();
  }
}

async function saveModel(layersModel: tf.LayersModel, params: Params, dir: string): Promise<void> {
  writeParams(layersModel, params);
  await layersModel.save(fileModelHandler(dir));
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
