import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors/CheckpointError.js';
import { valuesView } from '../internal/valuesView.js';
import type { TrainState } from '../train/types.js';
import { takeBuffer } from './internal/spareBuffer.js';
import { CHECKSUMS, DTYPE_BYTES, FORMAT, FORMAT_VERSION, flatten, jsonBytes, RESERVED, sha256, STATE, WEIGHTS } from './internal/format.js';
import type { CheckpointStorage, DataPosition, Fingerprint, Json } from './types.js';

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions<S> {
  /** The state to save: a `TrainStep.state`, or a `TrainStopped.state` with its open window. */
  readonly state: TrainState<S>;
  /** The run's configuration, from {@link fingerprintOf}. */
  readonly fingerprint: Fingerprint;
  /** Anything else needed to restart the data exactly, as JSON (a shuffling seed, say). Default `null`. */
  readonly random?: Json;
  /** Keep only the newest `keep` checkpoints (an integer >= 1); default: keep all. */
  readonly keep?: number;
}

/** The name of a checkpoint: its update and micro-batch counts, zero-padded so that names sort in run order. */
export const checkpointName = (position: DataPosition): string =>
  `step-${String(position.updates).padStart(9, '0')}-${String(position.microBatches).padStart(12, '0')}`;

/** Where the data of `state` must restart. */
export const positionOf = (state: TrainState<unknown>): DataPosition => ({
  examples: state.examples + (state.window?.examples ?? 0),
  microBatches: state.microBatches + (state.window?.microBatches ?? 0),
  updates: state.step,
});

/**
 * Saves a training state as a checkpoint: the parameters, the optimizer state and the open window's sums
 * in TensorFlow.js's weights format (`weights.bin` described by a `weightsManifest`), the counters, the data
 * position, the random state and the configuration's fingerprint in `checkpoint.json`, and every file's
 * size and SHA-256 in `checksums.json`. The storage commits the files atomically; then `latest` is moved
 * to the new checkpoint, and the oldest beyond `keep` are deleted (never the one `latest` names).
 *
 * Ownership: reads the state's tensors (asynchronously) and disposes nothing; they must stay valid until the
 * promise resolves. The {@link checkpoints} operator takes copies first, so a run never waits for a save.
 *
 * ## Example
 * ```ts
 * const storage = memoryStorage();
 * const name = await saveCheckpoint(storage, { state: step.state, fingerprint: fingerprintOf(options), keep: 3 });
 * // 'step-000000012-000000000096'
 * ```
 *
 * @param storage where to write
 * @param options the state, the fingerprint, the random state, how many to keep
 * @returns the new checkpoint's name
 * @throws {CheckpointError} (rejects) when the state holds something that is not JSON or a tensor, a
 *   parameter name uses the reserved prefix `gradstream:`, or the storage fails
 * @see loadCheckpoint
 * @see checkpoints
 */
export async function saveCheckpoint<S>(storage: CheckpointStorage, options: SaveCheckpointOptions<S>): Promise<string> {
  const { state, fingerprint, random = null, keep } = options;
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new CheckpointError('', '', `keep must be an integer >= 1, got ${keep}`, keep);
  const files = await encodeCheckpoint(state, fingerprint, random);
  const name = checkpointName(positionOf(state));
  await storage.write(name, files);
  // Listing does not depend on latest: both at once; the deletions, and any failure, only once both are over.
  const [pointed, listed] = await Promise.allSettled([storage.setLatest(name), keep === undefined ? [] : storage.list()]);
  if (pointed.status === 'rejected') throw pointed.reason;
  if (listed.status === 'rejected') throw listed.reason;
  if (keep !== undefined) {
    const older = listed.value.filter((n) => n !== name);
    for (const old of older.slice(0, Math.max(0, older.length - (keep - 1)))) await storage.remove(old);
  }
  return name;
}

/** The three files of a checkpoint of `state`. */
export async function encodeCheckpoint<S>(state: TrainState<S>, fingerprint: Fingerprint, random: Json): Promise<Map<string, Uint8Array>> {
  const { params, optimizerState, window, ...counters } = state;
  const reserved = Object.keys(params).find((n) => n.startsWith(RESERVED));
  if (reserved !== undefined) throw new CheckpointError('', STATE, `parameter name ${JSON.stringify(reserved)} uses the reserved prefix '${RESERVED}'`, reserved);
  const names = new Set<string>();
  // Parameters keep their own names, so that tf.io.loadWeights and the tfjs converter see them as they are.
  const paramTensors = Object.entries(params).map(([n, t]) => {
    names.add(n);
    return [n, t] as const;
  });
  const optimizer = flatten(optimizerState, `${RESERVED}optimizerState`, names);
  const open = window === undefined ? undefined : flatten(window, `${RESERVED}window`, names);
  const tensors = [...paramTensors, ...optimizer.tensors, ...(open?.tensors ?? [])];
  const { weights, specs } = await encodeWeights(tensors);
  const body = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    weightsManifest: [{ paths: [WEIGHTS], weights: specs }],
    state: {
      ...counters,
      params: Object.fromEntries(paramTensors.map(([n]) => [n, { $tensor: n }])),
      optimizerState: optimizer.json,
      window: open?.json ?? null,
    },
    position: positionOf(state),
    random,
    fingerprint,
  };
  const stateBytes = jsonBytes(body);
  const [stateHash, weightsHash] = await Promise.all([sha256(stateBytes), sha256(weights)]);
  const checksums = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    files: {
      [STATE]: { bytes: stateBytes.byteLength, sha256: stateHash },
      [WEIGHTS]: { bytes: weights.byteLength, sha256: weightsHash },
    },
  };
  return new Map([
    [WEIGHTS, weights],
    [STATE, stateBytes],
    [CHECKSUMS, jsonBytes(checksums)],
  ]);
}

/**
 * tfjs's weights format (`tf.io.encodeWeights`: the tensors' bytes one after the other, described by
 * `{ name, shape, dtype }` specs), written straight from the backend's memory into one buffer: no buffer per
 * tensor, which on wasm would cost a fresh allocation each; and that buffer is the spare a storage gave back
 * after the last save, when there is one of the size (a fresh one costs its page faults: see spareBuffer).
 * Other dtypes than float32, int32 and bool, and other backends than wasm and cpu, go through
 * tfjs's own encoder.
 */
async function encodeWeights(tensors: ReadonlyArray<readonly [string, tf.Tensor]>): Promise<{ weights: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  // On a GPU backend a synchronous read would block until the device is done: tfjs's encoder reads asynchronously.
  const synchronous = tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';
  if (!synchronous || tensors.some(([, t]) => DTYPE_BYTES[t.dtype] === undefined)) {
    const { data, specs } = await tf.io.encodeWeights(tensors.map(([name, tensor]) => ({ name, tensor })));
    return { weights: new Uint8Array(data), specs };
  }
  const weights = takeBuffer(tensors.reduce((n, [, t]) => n + t.size * (DTYPE_BYTES[t.dtype] as number), 0));
  let offset = 0;
  // Synchronously, view after view: a view stays valid only until the next tfjs call.
  for (const [, t] of tensors) {
    const v = valuesView(t);
    weights.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offset);
    offset += v.byteLength;
  }
  return { weights, specs: tensors.map(([name, t]) => ({ name, shape: [...t.shape], dtype: t.dtype as 'float32' | 'int32' | 'bool' })) };
}
