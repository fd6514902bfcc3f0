/**
 * Case 7, checkpoints: the time of one saveCheckpoint of a model's full training state (params and Adam's
 * two moments) to the file system (fileStorage: temp dir, fsync, rename, latest), against the time of one
 * train() update (8 micro-batches of 32), alternated side by side; and the checkpoint's size against the
 * parameters'. Figures: the ratios save / update and encode / update, where "encode" is the part of a save that
 * computes (reads the tensors, SHA-256, JSON); the rest of a save waits on the disk (writes, fsyncs, renames),
 * during which `checkpoints` lets training go on. Also what a save costs the main thread (event-loop active
 * time, which leaves out waiting on the disk and hashing on libuv's threads), and what training loses: a
 * run of UPDATES updates with `checkpoints({ every: 1 })` against the same run without, alternated, timed to
 * the last update (the wait for the last save at completion is a one-off per run), the data
 * arriving window by window as from an asynchronous source (a macrotask between windows, so the saves'
 * I/O can proceed). Goal: well under 1 update per save for the CLI's MLP.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bufferCount, concatMap, from, identity, lastValueFrom, Observable, tap, type OperatorFunction } from 'rxjs';
import type { Batch } from '../../lib/batch/types.js';
import { checkpoints } from '../../lib/checkpoint/checkpoints.js';
import type { CheckpointStorage } from '../../lib/checkpoint/types.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import type { Model } from '../../lib/models/types.js';
import { train } from '../../lib/train/train.js';
import type { TrainStep } from '../../lib/train/types.js';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { WEIGHTS } from '../../lib/checkpoint/internal/format.js';
import { giveBack } from '../../lib/checkpoint/internal/spareBuffer.js';
import { encodeCheckpoint, saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { fileStorage } from '../../lib/node/fileStorage.js';
import type { Examples } from '../../lib/data/types.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { alternate, type AlternateOptions, ratio } from '../internal/alternate.js';
import { makeLayers, microBatchSource, type ModelName, optimizer, runTrain } from '../internal/fixtures.js';
import { summarize, type Summary } from '../internal/stats.js';

export interface CheckpointResult {
  readonly backend: string;
  readonly model: ModelName;
  readonly paramBytes: number;
  /** weights.bin + checkpoint.json + checksums.json. */
  readonly checkpointBytes: number;
  readonly saveMs: Summary;
  /** The part of a save that computes (reads the tensors, hashes, makes the JSON): the rest waits on the disk. */
  readonly encodeMs: Summary;
  readonly updateMs: Summary;
  /** save / update. */
  readonly ratio: Summary;
  /** encode / update. */
  readonly encodeRatio: Summary;
  /** Main-thread (event-loop active) ms per save, over {@link MAIN_SAVES} saves. */
  readonly mainMs: number;
  /**
   * A run of {@link UPDATES} updates with `checkpoints({ every: 1 })` over the same run without, to the last
   * update (MLPs only).
   */
  readonly trainingCost?: Summary;
  /** Saves made per such run (fewer than UPDATES when the disk fell behind and states were skipped). */
  readonly savesPerRun?: number;
}

export const UPDATES = 20;
const MAIN_SAVES = 20;
const N = 8;

/** Each window of N micro-batches after a macrotask, as an asynchronous source delivers them. */
const windowByWindow: OperatorFunction<Batch, Batch> = (source) =>
  source.pipe(
    bufferCount(N),
    concatMap((window) =>
      new Observable<Batch>((subscriber) => {
        const handle = setImmediate(() => from(window).subscribe(subscriber));
        return () => clearImmediate(handle);
      }),
    ),
  );

/**
 * UPDATES updates from `model.params`, with or without a checkpoint after every one: the time until the last
 * update is made (not the wait for the last save at completion, a one-off per run), and the saves made.
 */
async function trainingRun(model: Model, examples: Examples, name: ModelName, storage: CheckpointStorage | undefined, round: number): Promise<{ ms: number; saves: number }> {
  const options = { model, loss: softmaxCrossEntropy, optimizer: optimizer(), accumulationSteps: N };
  let saves = 0;
  let lastStepAt = 0;
  const started = performance.now();
  const last = await lastValueFrom(
    microBatchSource(examples, name, N * UPDATES, round).pipe(
      windowByWindow,
      train(options),
      tap(() => (lastStepAt = performance.now())),
      storage ? checkpoints<unknown, TrainStep>(storage, { fingerprint: fingerprintOf(options), every: 1, keep: 2, onSaved: () => (saves += 1) }) : identity,
    ),
  );
  disposeTree(last.state);
  return { ms: lastStepAt - started, saves };
}

/** The two runs alternated (A B, then B A), `rounds` times after one warm-up each: their ratio per round. */
async function trainingCost(model: Model, examples: Examples, name: ModelName, storage: CheckpointStorage, rounds: number): Promise<{ ratio: Summary; saves: number }> {
  let round = 0;
  const run = (withCheckpoints: boolean) => trainingRun(model, examples, name, withCheckpoints ? storage : undefined, round++);
  await run(false);
  await run(true);
  const ratios: number[] = [];
  let saves = 0;
  for (let r = 0; r < rounds; r++) {
    const [plain, checkpointed] = r % 2 === 0 ? [await run(false), await run(true)] : ((b, a) => [a, b])(await run(true), await run(false));
    ratios.push(checkpointed.ms / plain.ms);
    saves += checkpointed.saves;
  }
  return { ratio: summarize(ratios), saves: saves / rounds };
}

export async function checkpointCase(backend: string, examples: Examples, name: ModelName, timing: AlternateOptions): Promise<CheckpointResult> {
  const layers = makeLayers(name);
  const model = fromLayersModel(layers);
  const opt = optimizer();
  const optimizerState = opt.init(model.params);
  const state = { step: 100, microBatches: 800, examples: 25_600, skippedMicroBatches: 0, skippedUpdates: 0, params: model.params, optimizerState };
  const fingerprint = fingerprintOf({ model, optimizer: opt, accumulationSteps: 8 });
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-ckpt-'));
  try {
    const storage = await fileStorage(dir);
    let k = 0;
    const [save, encode, update] = await alternate(
      [
        // A new step each time, as a run's checkpoints are; keep 2 so the directory does not grow.
        { name: 'save', fn: () => saveCheckpoint(storage, { state: { ...state, step: state.step + ++k }, fingerprint, keep: 2 }) },
        {
          name: 'encode',
          // Its weights buffer goes back as fileStorage's does after a save: kept, it would leave the next
          // save a fresh buffer to fault in, which no run of saves pays.
          fn: async () => giveBack(((await encodeCheckpoint(state, fingerprint, null)).get(WEIGHTS) as Uint8Array).buffer as ArrayBuffer),
        },
        { name: 'update', fn: () => runTrain(model, microBatchSource(examples, name, 8), 8) },
      ],
      timing,
    );
    // What the main thread spends on a save: everything but waiting (disk, hashing on libuv's threads).
    const before = performance.eventLoopUtilization();
    for (let i = 0; i < MAIN_SAVES; i++) await saveCheckpoint(storage, { state: { ...state, step: state.step + ++k }, fingerprint, keep: 2 });
    const mainMs = performance.eventLoopUtilization(before).active / MAIN_SAVES;

    // The CNN's save is a few hundredths of its update: its runs would only lengthen the bench.
    const cost = name === 'cnn' ? undefined : await trainingCost(model, examples, name, await fileStorage(join(dir, 'runs')), timing.rounds);

    const latest = (await storage.latest()) as string;
    const checkpointBytes = readdirSync(join(dir, latest)).reduce((sum, f) => sum + statSync(join(dir, latest, f)).size, 0);
    const paramBytes = Object.values(model.params).reduce((sum, t) => sum + t.size * 4, 0);
    return {
      backend,
      model: name,
      paramBytes,
      checkpointBytes,
      saveMs: save!.ms,
      encodeMs: encode!.ms,
      updateMs: update!.ms,
      ratio: ratio(save!, update!),
      encodeRatio: ratio(encode!, update!),
      mainMs,
      ...(cost ? { trainingCost: cost.ratio, savesPerRun: cost.saves } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    disposeTree(optimizerState);
    layers.dispose();
  }
}
