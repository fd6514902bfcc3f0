import * as tf from '@tensorflow/tfjs';
import type { WindowState } from '../accumulate/types.js';
import { CheckpointError } from '../errors/CheckpointError.js';
import { CheckpointMismatchError } from '../errors/CheckpointMismatchError.js';
import { disposeTree } from '../internal/tensorMaps.js';
import type { Params } from '../params/types.js';
import type { TrainState } from '../train/types.js';
import { compareFingerprints, type AllowedChange } from './internal/compareFingerprints.js';
import {
  CHECKSUMS,
  checkSafeName,
  checkVersion,
  DTYPE_BYTES,
  MAX_CHECKSUMS_BYTES,
  MAX_STATE_BYTES,
  parseJson,
  sha256,
  STATE,
  unflatten,
} from './internal/format.js';
import type { CheckpointStorage, DataPosition, Fingerprint, Json, LoadedCheckpoint } from './types.js';

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** The checkpoint to load; default: the one `latest` names, falling back to the newest valid one. */
  readonly name?: string;
  /** The configuration of the run that will resume, from {@link fingerprintOf}. */
  readonly fingerprint: Fingerprint;
  /**
   * Changes made on purpose, which the fingerprint check then lets through: `'learningRate'` (wherever
   * the optimizer has one) and `'accumulationSteps'` (an open window keeps the size it opened with).
   */
  readonly allowChanges?: ReadonlyArray<AllowedChange>;
  /**
   * Told about each invalid candidate passed over while looking for the newest valid one: a `latest` that
   * cannot be read, or a checkpoint that is missing, corrupt or malformed (a {@link CheckpointError} naming it
   * and the file).
   */
  readonly onSkipped?: (error: CheckpointError) => void;
}

const COUNTERS = ['step', 'microBatches', 'examples', 'skippedMicroBatches', 'skippedUpdates'] as const;

/**
 * Loads a checkpoint that {@link saveCheckpoint} wrote, after checking all of it: every file's size
 * (before reading it) and SHA-256, the format version, the structure, and that it was saved under the
 * same configuration as the resuming run. Nothing corrupt is ever loaded, not even in part.
 *
 * Without a `name`, it loads the checkpoint `latest` names; if that one is corrupt or missing, the newest
 * valid one, telling `onSkipped` about each one passed over. A {@link CheckpointMismatchError} is not
 * passed over: an older checkpoint of the same run would not fit either.
 *
 * Ownership: every tensor of the returned `state` belongs to the caller.
 *
 * ## Example
 * ```ts
 * const fingerprint = fingerprintOf(options);
 * const saved = await loadCheckpoint<AdamState>(storage, { fingerprint, onSkipped: (e) => console.warn(e.message) });
 * const steps$ = data$.pipe(skipExamples(saved.position.examples), train({ ...options, initialState: saved.state }));
 * ```
 *
 * @param storage where the checkpoints are
 * @param options which checkpoint, the resuming run's fingerprint, changes allowed
 * @returns the state, the data position, the random state and the saved fingerprint
 * @throws {CheckpointError} (rejects) naming the checkpoint, the file and what is wrong, or when no
 *   checkpoint is valid
 * @throws {CheckpointMismatchError} (rejects) naming each field whose saved and new values differ
 * @see saveCheckpoint
 */
export async function loadCheckpoint<S = unknown>(storage: CheckpointStorage, options: LoadCheckpointOptions): Promise<LoadedCheckpoint<S>> {
  const allow = options.allowChanges ?? [];
  if (options.name !== undefined) return checked<S>(storage, checkSafeName(options.name, '', options.name), options.fingerprint, allow);
  // A latest that cannot be read (garbled, a directory, a symlink, too large) is one more candidate passed over.
  const latest = await storage.latest().catch((error: unknown) => {
    options.onSkipped?.(asCheckpointError('', 'latest', error));
    return undefined;
  });
  const all = await storage.list();
  const candidates = [...(latest !== undefined ? [latest] : []), ...[...all].reverse().filter((n) => n !== latest)];
  for (const name of candidates) {
    try {
      return await checked<S>(storage, name, options.fingerprint, allow);
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      options.onSkipped?.(error);
    }
  }
  throw new CheckpointError('', '', candidates.length === 0 ? 'no checkpoint found' : `none of ${candidates.length} checkpoints is valid`, candidates);
}

/** Any error but a mismatch, as a CheckpointError naming the checkpoint and the file: what the fallback passes over. */
function asCheckpointError(name: string, file: string, error: unknown): CheckpointError {
  if (error instanceof CheckpointError) return error;
  return new CheckpointError(name, file, `cannot be read: ${error instanceof Error ? error.message : String(error)}`, error);
}

/**
 * `load`, with every error but a mismatch made a CheckpointError naming the file then being checked: a
 * hostile file may make tfjs or a JSON walk throw something else, and it is still just an invalid candidate.
 */
async function checked<S>(storage: CheckpointStorage, name: string, fingerprint: Fingerprint, allow: ReadonlyArray<AllowedChange>): Promise<LoadedCheckpoint<S>> {
  const at = { file: CHECKSUMS };
  try {
    return await load<S>(storage, name, fingerprint, allow, at);
  } catch (error) {
    if (error instanceof CheckpointMismatchError) throw error;
    throw asCheckpointError(name, at.file, error);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFingerprint = (v: unknown): boolean =>
  isRecord(v) &&
  (typeof v['accumulationSteps'] === 'number' || typeof v['accumulationSteps'] === 'string') &&
  (v['microBatchSize'] === null || isCount(v['microBatchSize'])) &&
  typeof v['nonFinite'] === 'string' &&
  (v['optimizer'] === null || isRecord(v['optimizer'])) &&
  isRecord(v['params']) &&
  Object.values(v['params']).every((p) => isRecord(p) && Array.isArray(p['shape']) && (p['shape'] as unknown[]).every(isCount) && typeof p['dtype'] === 'string');

async function load<S>(storage: CheckpointStorage, name: string, fingerprint: Fingerprint, allow: ReadonlyArray<AllowedChange>, at: { file: string }): Promise<LoadedCheckpoint<S>> {
  const fail = (file: string, problem: string, input?: unknown): never => {
    throw new CheckpointError(name, file, problem, input);
  };
  // 1. checksums.json, bounded, then every file it lists: size before reading, then SHA-256.
  const sums = checkVersion(name, CHECKSUMS, parseJson(name, CHECKSUMS, await storage.read(name, CHECKSUMS, MAX_CHECKSUMS_BYTES)));
  const listed = sums['files'];
  if (!isRecord(listed) || !isRecord(listed[STATE])) return fail(CHECKSUMS, `does not list ${STATE}`);
  const contents = new Map<string, Uint8Array>();
  for (const [file, entry] of Object.entries(listed)) {
    checkSafeName(name, CHECKSUMS, file);
    if (!isRecord(entry) || !isCount(entry['bytes']) || typeof entry['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(entry['sha256']))
      return fail(CHECKSUMS, `entry for ${JSON.stringify(file)} is not { bytes, sha256 }`, entry);
    const bytes = entry['bytes'];
    at.file = file;
    if (file === STATE && bytes > MAX_STATE_BYTES) fail(file, `${bytes} bytes is more than the ${MAX_STATE_BYTES} allowed`, bytes);
    const data = await storage.read(name, file, bytes);
    if (data.byteLength !== bytes) fail(file, `${data.byteLength} bytes, but ${CHECKSUMS} records ${bytes} (truncated)`, data.byteLength);
    const hash = await sha256(data);
    if (hash !== entry['sha256']) fail(file, `SHA-256 ${hash} differs from ${entry['sha256']} in ${CHECKSUMS} (the file was altered)`, hash);
    contents.set(file, data);
  }

  // 2. checkpoint.json: version, fingerprint (before any tensor is made), structure.
  at.file = STATE;
  const body = checkVersion(name, STATE, parseJson(name, STATE, contents.get(STATE) as Uint8Array));
  const saved = body['fingerprint'];
  if (!isFingerprint(saved)) return fail(STATE, 'has no fingerprint { accumulationSteps, microBatchSize, nonFinite, optimizer, params: { [name]: { shape, dtype } } }');
  const differences = compareFingerprints(saved as unknown as Fingerprint, fingerprint, allow);
  if (differences.length > 0) throw new CheckpointMismatchError(name, differences);
  const state = body['state'];
  const position = body['position'];
  if (!isRecord(state) || !isRecord(state['params'])) return fail(STATE, 'has no state.params');
  for (const c of COUNTERS) if (!isCount(state[c])) fail(STATE, `state.${c} is not a count`, state[c]);
  if (!isRecord(position) || !['examples', 'microBatches', 'updates'].every((k) => isCount(position[k]))) return fail(STATE, 'has no valid position');

  // 3. The weights: manifest entries checked and their sizes summed against the shards' before decoding.
  const manifest = body['weightsManifest'];
  if (!Array.isArray(manifest)) return fail(STATE, 'has no weightsManifest');
  const shards: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of manifest as unknown[]) {
    if (!isRecord(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) return fail(STATE, 'weightsManifest group is not { paths, weights }');
    for (const path of group['paths'] as unknown[]) {
      const shard = contents.get(checkSafeName(name, STATE, path));
      if (shard === undefined) return fail(String(path), `is named in the weightsManifest but not in ${CHECKSUMS}`);
      shards.push(shard);
    }
    for (const w of group['weights'] as unknown[]) {
      if (!isRecord(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape']) || !(w['shape'] as unknown[]).every(isCount) || typeof w['dtype'] !== 'string' || !(w['dtype'] in DTYPE_BYTES))
        return fail(STATE, `weightsManifest entry ${JSON.stringify(w)} is not { name, shape, dtype: float32 | int32 | bool }`);
      if (w['quantization'] !== undefined) return fail(STATE, `weightsManifest entry ${w['name']} is quantized`);
      specs.push(w as unknown as tf.io.WeightsManifestEntry);
    }
  }
  const needed = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[s.dtype] as number), 0);
  const have = shards.reduce((sum, s) => sum + s.byteLength, 0);
  if (needed !== have) return fail(shards.length === 1 ? String((manifest[0] as { paths: unknown[] }).paths[0]) : STATE, `holds ${have} bytes, the weightsManifest describes ${needed}`);
  const buffer = new Uint8Array(have);
  let offset = 0;
  for (const s of shards) {
    buffer.set(s, offset);
    offset += s.byteLength;
  }
  const decoded = tf.io.decodeWeights(buffer.buffer, specs);
  const tensors = new Map(Object.entries(decoded));
  if (tensors.size !== specs.length) {
    disposeTree(Object.values(decoded));
    return fail(STATE, 'the weightsManifest names a tensor twice');
  }
  try {
    const params = unflatten(state['params'], tensors, name) as Params;
    const optimizerState = unflatten(state['optimizerState'], tensors, name) as S;
    const window = state['window'] === null || state['window'] === undefined ? undefined : (unflatten(state['window'], tensors, name) as WindowState);
    if (tensors.size > 0) fail(STATE, `the weightsManifest holds tensors the state does not use: ${[...tensors.keys()].join(', ')}`);
    const trainState = {
      ...Object.fromEntries(COUNTERS.map((c) => [c, state[c] as number])),
      params,
      optimizerState,
      ...(window === undefined ? {} : { window }),
    } as unknown as TrainState<S>;
    return {
      name,
      state: trainState,
      position: position as unknown as DataPosition,
      fingerprint: saved as unknown as Fingerprint,
      random: (body['random'] ?? null) as Json,
    };
  } catch (error) {
    // A structure that does not fit: free every tensor decoded, used or not.
    disposeTree(Object.values(decoded));
    throw error;
  }
}
