/**
 * Case 7, checkpoints: the time of one saveCheckpoint of a model's full training state (params and Adam's
 * two moments) to the file system (fileStorage: temp dir, fsync, rename, latest), against the time of one
 * train() update (8 micro-batches of 32), alternated side by side; and the checkpoint's size against the
 * parameters'. Figures: the ratios save / update and encode / update, where "encode" is the part of a save that
 * computes (reads the tensors, SHA-256, JSON); the rest of a save waits on the disk (writes, fsyncs, renames),
 * during which `checkpoints` lets training go on. Goal: well under 1 for the CLI's MLP.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { encodeCheckpoint, saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { fileStorage } from '../../lib/node/fileStorage.js';
import type { Examples } from '../../lib/data/types.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { alternate, type AlternateOptions, ratio } from '../internal/alternate.js';
import { makeLayers, microBatchSource, type ModelName, optimizer, runTrain } from '../internal/fixtures.js';
import type { Summary } from '../internal/stats.js';

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
        { name: 'encode', fn: () => encodeCheckpoint(state, fingerprint, null) },
        { name: 'update', fn: () => runTrain(model, microBatchSource(examples, name, 8), 8) },
      ],
      timing,
    );
    const latest = (await storage.latest()) as string;
    const checkpointBytes = readdirSync(join(dir, latest)).reduce((sum, f) => sum + statSync(join(dir, latest, f)).size, 0);
    const paramBytes = Object.values(model.params).reduce((sum, t) => sum + t.size * 4, 0);
    return { backend, model: name, paramBytes, checkpointBytes, saveMs: save!.ms, encodeMs: encode!.ms, updateMs: update!.ms, ratio: ratio(save!, update!), encodeRatio: ratio(encode!, update!) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    disposeTree(optimizerState);
    layers.dispose();
  }
}
