import type { TransformSpec } from '../optim/types.js';
import type { TrainState } from '../train/types.js';

/** A JSON value: what a checkpoint keeps besides tensors (the random state, for one). */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json };

/**
 * Where checkpoints are kept: a small interface, so that a file system (`fileStorage` in
 * `gradstream/node`), memory ({@link memoryStorage}) or a browser store can hold them.
 *
 * Names of checkpoints and files are plain names (letters, digits, `.`, `_`, `-`; never `.` or `..`):
 * implementations refuse anything else. Every method may throw a {@link CheckpointError}.
 */
export interface CheckpointStorage {
  /**
   * Writes one checkpoint's files under `name`, all or nothing: until the returned promise resolves, no
   * reader sees any of them (write into a temporary place, then commit by one atomic step). A checkpoint of
   * the same name is replaced. The storage takes `files`' bytes: the caller must not use them afterwards (a
   * storage may transfer their buffers to another thread).
   */
  write(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** The names of the committed checkpoints, in ascending order (oldest first, for gradstream's names). */
  list(): Promise<ReadonlyArray<string>>;
  /**
   * One file of a checkpoint. `maxBytes` is checked against the file's size before anything is read or
   * allocated. Throws a {@link CheckpointError} when the file is missing or larger.
   */
  read(name: string, file: string, maxBytes: number): Promise<Uint8Array>;
  /**
   * Removes a checkpoint (nothing if absent): once the promise resolves, `list` and reads no longer see it. A
   * storage may finish deleting its files afterwards (fileStorage does, on its disk thread).
   */
  remove(name: string): Promise<void>;
  /** Points `latest` at a committed checkpoint, atomically: a reader sees the old name or the new. */
  setLatest(name: string): Promise<void>;
  /** The name `latest` points at, if any. */
  latest(): Promise<string | undefined>;
}

/** How far into the data a state is: where a resumed run's data must restart. */
export interface DataPosition {
  /** Examples consumed, those of the open window included: skip this many to resume. */
  readonly examples: number;
  /** Micro-batches consumed, those of the open window included. */
  readonly microBatches: number;
  /** Updates made. */
  readonly updates: number;
}

/**
 * What a run was configured with, as JSON: a checkpoint keeps it, and a run resumes only under the same
 * (see {@link fingerprintOf} and {@link CheckpointMismatchError}).
 */
export interface Fingerprint {
  /** Micro-batches per update, or `'schedule'` (with the function's name, if it has one). */
  readonly accumulationSteps: number | string;
  /** The micro-batch size, or `null` when each batch is one micro-batch. */
  readonly microBatchSize: number | null;
  /** The non-finite policy. */
  readonly nonFinite: string;
  /** The optimizer's {@link GradientTransformation.spec}, or `null` when it has none. */
  readonly optimizer: TransformSpec | null;
  /** Every parameter's shape and dtype, by name. */
  readonly params: { readonly [name: string]: { readonly shape: ReadonlyArray<number>; readonly dtype: string } };
}

/**
 * A loaded checkpoint. Ownership: every tensor in `state` (params, optimizer state, open window) belongs
 * to the caller, who passes `state` to `train` as `initialState` and disposes it when done.
 */
export interface LoadedCheckpoint<S = unknown> {
  /** The checkpoint's name in its storage. */
  readonly name: string;
  /** The training state, with the open window when it was saved mid-window. */
  readonly state: TrainState<S>;
  /** Where the data must restart. */
  readonly position: DataPosition;
  /** The configuration it was saved under. */
  readonly fingerprint: Fingerprint;
  /** What the saver passed as `random` (a data seed, say), or `null`. */
  readonly random: Json;
}

/** The changes a resumed run may make on purpose. */
export type AllowedChange = 'learningRate' | 'accumulationSteps';
