import { lstat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, loadCheckpoint, type Fingerprint, type LoadedCheckpoint } from 'gradstream';
import { fileStorage } from 'gradstream/node';
import type { TrainConfig } from './types.js';

/** What a resumed run must share with the checkpoint besides the fingerprint: the data it draws. */
export interface RandomState {
  readonly seed: number;
  readonly trainSize: number;
  readonly testSize: number;
}

/** A checkpoint `--resume` found, and the folder it came from. */
export interface Resumed {
  readonly checkpoint: LoadedCheckpoint;
  /** The checkpoint folder (the parent of the checkpoint directory), resolved. */
  readonly folder: string;
}

/**
 * The checkpoint `--resume` names: a checkpoint directory, or `latest` (the newest valid one in
 * `--checkpoint-dir`, saying on stderr which invalid ones it passed over, one line each). Refuses a
 * checkpoint of another data split or seed, whose data position would mean other examples.
 *
 * Why a path is checked before any storage is opened: opening one tidies its folder, and a folder that
 * is not a checkpoint folder (a typo, a data folder) is the user's. So a path must be a directory holding
 * `checkpoint.json` and `checksums.json` as gradstream writes them, in a folder with a `latest` file;
 * anything else is a {@link CheckpointError} naming the path, and nothing is touched. For `latest`, a
 * missing `--checkpoint-dir` is reported as having no checkpoint, and not created.
 *
 * ## Example
 * ```ts
 * const { checkpoint } = await resumeFrom(config, fingerprint, { seed, trainSize, testSize }, process.stderr);
 * ```
 *
 * @param config the run's configuration (`resume` not null)
 * @param fingerprint the resuming run's fingerprint
 * @param random the resuming run's seed and split, compared with the checkpoint's
 * @param stderr where skipped checkpoints are reported
 * @returns the loaded checkpoint (its tensors are the caller's) and its folder
 * @throws {CheckpointError} (rejects) for a path that is not a checkpoint, when no checkpoint is valid,
 *   or for another seed or split
 */
export async function resumeFrom(config: TrainConfig, fingerprint: Fingerprint, random: RandomState, stderr: NodeJS.WritableStream): Promise<Resumed> {
  const latest = config.resume === 'latest';
  const path = resolve(latest ? config.checkpointDir : (config.resume as string));
  const folder = latest ? path : dirname(path);
  if (latest && (await kind(folder)) !== 'directory') throw new CheckpointError('', '', `no checkpoint found: ${config.checkpointDir} is not a folder`, config.checkpointDir);
  if (!latest) await checkCheckpointPath(config.resume as string, path);
  const storage = await fileStorage(folder);
  let skipped = 0;
  const loaded = await loadCheckpoint(storage, {
    fingerprint,
    ...(latest ? {} : { name: basename(path) }),
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
  return { checkpoint: loaded, folder };
}

/** A path's kind, without following a symbolic link; undefined if nothing is there. */
const kind = async (path: string): Promise<'file' | 'directory' | 'other' | undefined> => {
  const s = await lstat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : Promise.reject(error)));
  return s === undefined ? undefined : s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
};

/** Refuses, naming `given`, a path that is not a checkpoint directory in a checkpoint folder. */
async function checkCheckpointPath(given: string, path: string): Promise<void> {
  const refuse = (problem: string): never => {
    throw new CheckpointError(given, '', `${problem}; --resume takes a checkpoint directory (or latest)`, given);
  };
  const what = await kind(path);
  if (what !== 'directory') refuse(what === undefined ? 'does not exist' : 'is not a directory');
  for (const file of ['checkpoint.json', 'checksums.json'])
    if ((await kind(join(path, file))) !== 'file') refuse(`is not a checkpoint: it holds no ${file}`);
  if ((await kind(join(dirname(path), 'latest'))) !== 'file') refuse(`is not in a checkpoint folder: ${dirname(path)} holds no latest file`);
}
