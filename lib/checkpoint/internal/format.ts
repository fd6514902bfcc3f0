/**
 * The checkpoint format: a training state as TensorFlow.js weights (a `weightsManifest` and one
 * `weights.bin`) plus JSON, and back. Owned by lib/checkpoint; not public.
 *
 * A checkpoint directory holds three files:
 * - `weights.bin`: every tensor's bytes, in tfjs's weights format (little-endian, manifest order);
 * - `checkpoint.json`: the format version, the `weightsManifest`, the state as a JSON tree whose tensors
 *   are `{ "$tensor": name }` references into the manifest, the data position, the random state and the
 *   configuration's fingerprint;
 * - `checksums.json`: the format version and each other file's size and SHA-256, written last.
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../../errors/CheckpointError.js';
import type { Json } from '../types.js';

export const FORMAT = 'gradstream-checkpoint';
export const FORMAT_VERSION = 1;
export const WEIGHTS = 'weights.bin';
export const STATE = 'checkpoint.json';
export const CHECKSUMS = 'checksums.json';
/**
 * Bytes per value of the dtypes a weights file may hold (tfjs's weights format, unquantized). Without a
 * prototype: a dtype read from a file, such as "toString", must not find an inherited property here.
 */
export const DTYPE_BYTES: Readonly<Partial<Record<string, number>>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, { float32: 4, int32: 4, bool: 1 }),
);
/** No checksums file is larger: refused before it is read. */
export const MAX_CHECKSUMS_BYTES = 64 * 1024;
/** No checkpoint.json is larger (its size is also checked against checksums.json). */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;
/** The files of a checkpoint of this format: a file storage holds these, and recognises its checkpoints by them. */
export const CHECKPOINT_FILES: ReadonlySet<string> = new Set([WEIGHTS, STATE, CHECKSUMS]);
/** What saveCheckpoint names a checkpoint (see checkpointName): a file storage makes and prunes no other name. */
export const CHECKPOINT_NAME = /^step-\d{9,}-\d{12,}$/;
/** Tensors other than parameters are named under this prefix, which parameter names may not use. */
export const RESERVED = 'gradstream:';

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

/** A checkpoint or file name is a plain name: no separator, no `..`, nothing absolute. */
export function isSafeName(name: unknown): name is string {
  return typeof name === 'string' && SAFE_NAME.test(name) && name !== '.' && name !== '..' && !name.includes('..');
}

export function checkSafeName(checkpoint: string, file: string, name: unknown): string {
  if (!isSafeName(name)) throw new CheckpointError(checkpoint, file, `unsafe name ${JSON.stringify(name)}: only letters, digits, '.', '_' and '-', no '..'`, name);
  return name;
}

/** What sha256 needs of `node:crypto`. */
export interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(bytes: Uint8Array): { digest(encoding: 'hex'): string } };
}

/**
 * Node's `crypto`, reached without an import (`process.getBuiltinModule`, Node >= 20.16), so that the
 * browser entry stays free of `node:` modules; undefined in browsers.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/**
 * Lower-case hex SHA-256 of `bytes`: with Node's `crypto` where there is one, else WebCrypto (browsers).
 * In Node, WebCrypto's digest runs as a job on libuv's pool, which made it several times slower than
 * `createHash` in place, and slowest when saves follow each other (docs/checkpoints.md).
 */
export async function sha256(bytes: Uint8Array, node: NodeCrypto | null = nodeCrypto ?? null): Promise<string> {
  if (node !== null) return node.createHash('sha256').update(bytes).digest('hex');
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A tree of JSON with tensors in it, flattened: the JSON with `{ $tensor }` references, and the tensors. */
export interface Flattened {
  readonly json: Json;
  readonly tensors: ReadonlyArray<readonly [name: string, tensor: tf.Tensor]>;
}

/**
 * Flattens a state tree (numbers, strings, booleans, null, arrays, plain objects and tensors, as every
 * gradstream state is) into JSON and named tensors. `names` collects the tensor names already used, so that
 * several trees can share one manifest. Non-finite numbers are kept as `{ "$number": "NaN" }`.
 */
export function flatten(value: unknown, prefix: string, names: Set<string>): Flattened {
  const tensors: Array<readonly [string, tf.Tensor]> = [];
  const walk = (v: unknown, path: string): Json => {
    if (v instanceof tf.Tensor) {
      let name = path;
      for (let k = 2; names.has(name); k++) name = `${path}#${k}`;
      names.add(name);
      tensors.push([name, v]);
      return { $tensor: name };
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (Array.isArray(v)) return v.map((x, i) => (x === undefined ? { $undefined: true } : walk(x, `${path}/${i}`)));
    if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      const out: Record<string, Json> = {};
      for (const [key, x] of Object.entries(v)) {
        if (key.startsWith('$')) throw new CheckpointError('', STATE, `cannot save a state with a key starting with '$' (${JSON.stringify(key)})`, key);
        if (x !== undefined) out[key] = walk(x, `${path}/${key}`);
      }
      return out;
    }
    throw new CheckpointError('', STATE, `cannot save a value of type ${typeof v} at ${path} (only numbers, strings, booleans, arrays, plain objects and tensors)`, v);
  };
  return { json: walk(value, prefix), tensors };
}

/**
 * Rebuilds a tree from its JSON and the decoded tensors. Each referenced tensor is taken out of `tensors`
 * (so the caller can dispose what is left, and a tensor referenced twice is refused).
 */
export function unflatten(json: unknown, tensors: Map<string, tf.Tensor>, checkpoint: string): unknown {
  const bad = (what: string): never => {
    throw new CheckpointError(checkpoint, STATE, what);
  };
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
    if (Array.isArray(v)) return v.map((x) => (isMarker(x, '$undefined') ? undefined : walk(x)));
    if (typeof v !== 'object') return bad(`unexpected value ${String(v)}`);
    const o = v as Record<string, unknown>;
    if (isMarker(o, '$tensor')) {
      const name = o['$tensor'];
      const t = typeof name === 'string' ? tensors.get(name) : undefined;
      if (t === undefined) return bad(`refers to tensor ${JSON.stringify(name)}, which the weights manifest lacks (or which is referred to twice)`);
      tensors.delete(name as string);
      return t;
    }
    if (isMarker(o, '$number')) {
      const n = Number(o['$number']);
      return Number.isNaN(n) && o['$number'] !== 'NaN' ? bad(`bad number ${JSON.stringify(o['$number'])}`) : n;
    }
    const out: Record<string, unknown> = {};
    for (const [key, x] of Object.entries(o)) {
      if (key.startsWith('$')) bad(`unexpected key ${JSON.stringify(key)}`);
      out[key] = walk(x);
    }
    return out;
  };
  return walk(json);
}

const isMarker = (v: unknown, key: string): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && key in v;

/** Parses JSON read from storage; garbled text is a {@link CheckpointError} naming the file. */
export function parseJson(checkpoint: string, file: string, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(checkpoint, file, 'is not UTF-8 text (garbled JSON)');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CheckpointError(checkpoint, file, `is garbled JSON (${(error as Error).message})`);
  }
}

/** The format and version fields of a parsed JSON file, checked. */
export function checkVersion(checkpoint: string, file: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CheckpointError(checkpoint, file, 'is not a JSON object');
  const o = value as Record<string, unknown>;
  if (o['format'] !== FORMAT) throw new CheckpointError(checkpoint, file, `format is ${JSON.stringify(o['format'])}, not "${FORMAT}"`, o['format']);
  if (o['formatVersion'] !== FORMAT_VERSION)
    throw new CheckpointError(checkpoint, file, `unknown format version ${JSON.stringify(o['formatVersion'])} (this gradstream reads version ${FORMAT_VERSION})`, o['formatVersion']);
  return o;
}

/** JSON text as bytes, with a final newline. */
export const jsonBytes = (value: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`);
