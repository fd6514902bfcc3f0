/**
 * The thread that does fileStorage's disk work: each request (commit a checkpoint directory, move `latest`,
 * remove a checkpoint) is one message, done there with synchronous calls, so that a save's dozen of
 * steps (write, fsync, rename) proceed while the main thread computes, instead of one step per turn of its
 * event loop. Not public.
 *
 * One thread per process, started on first use; it keeps the process alive only while a request is pending,
 * including a deletion that goes on after its request was answered (removing a checkpoint, or the old one a
 * commit replaced).
 */
import { Worker } from 'node:worker_threads';
import { spansWhole } from './spansWhole.js';

/** A request, as the thread receives it (paths are absolute and already checked by fileStorage). */
export type IoRequest =
  | {
      readonly op: 'commit';
      /** The checkpoint's directory, its temporary name, and where an old one of the same name goes. */
      readonly final: string;
      readonly tmp: string;
      readonly aside: string;
      /** Whether `final` may be moved aside: fileStorage recognised what is there as its own checkpoint. */
      readonly replace: boolean;
      readonly root: string;
      readonly files: ReadonlyArray<readonly [name: string, bytes: Uint8Array]>;
    }
  | {
      readonly op: 'pointer';
      /** The checkpoint it will name, which must be a directory (else the error's code is ENOTCOMMITTED). */
      readonly target: string;
      readonly tmp: string;
      readonly path: string;
      /** The largest `latest` it replaces (else the error's code is ENOTOURS). */
      readonly maxBytes: number;
      readonly root: string;
      readonly text: string;
    }
  | { readonly op: 'remove'; readonly path: string; readonly trash: string };

/** A failed request: the message and errno code of what failed. */
export class IoError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'IoError';
  }
}

// CommonJS, evaluated in the thread: node's own modules only, so it needs no file next to this one (bundlers
// and test runners move files; a string goes wherever this module goes).
const SOURCE = String.raw`
const fs = require('node:fs');
const { join } = require('node:path');
const { parentPort } = require('node:worker_threads');

function writeSynced(path, bytes) {
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
  try {
    for (let at = 0; at < bytes.byteLength; ) at += fs.writeSync(fd, bytes, at, bytes.byteLength - at);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function syncDir(path) {
  const fd = fs.openSync(path, fs.constants.O_RDONLY);
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    // Some file systems (and Windows) cannot fsync a directory: the rename is then as durable as they allow.
    if (!['EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP'].includes(error.code)) throw error;
  } finally {
    fs.closeSync(fd);
  }
}

function lstatOrUndefined(path) {
  try {
    return fs.lstatSync(path);
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
}

const exists = (path) => lstatOrUndefined(path) !== undefined;

function renameIfExists(from, to) {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT') return false;
    throw error;
  }
}

// Returns what is left to delete once the request is answered (an old checkpoint of the same name), if anything.
function commit(r) {
  fs.mkdirSync(r.tmp);
  try {
    for (const [name, bytes] of r.files) writeSynced(join(r.tmp, name), bytes);
    syncDir(r.tmp);
    // rename cannot replace a non-empty directory: a checkpoint of the same name is moved aside first. Only
    // one fileStorage recognised as its own: anything else of that name (even an empty directory, which
    // rename would silently replace) is left as it is.
    const replaced = r.replace ? renameIfExists(r.final, r.aside) : false;
    if (!replaced && exists(r.final)) throw Object.assign(new Error('exists and is not a checkpoint'), { code: 'ENOTOURS' });
    fs.renameSync(r.tmp, r.final);
    syncDir(r.root);
    return replaced ? r.aside : undefined;
  } catch (error) {
    fs.rmSync(r.tmp, { recursive: true, force: true });
    throw error;
  }
}

function pointer(r) {
  let committed = false;
  try { committed = fs.lstatSync(r.target).isDirectory(); } catch {}
  if (!committed) throw Object.assign(new Error('not committed'), { code: 'ENOTCOMMITTED' });
  // latest is replaced only as the small regular file it writes: never a directory, a symlink (nor what it
  // points at) or a large file of that name, which are someone else's.
  const old = lstatOrUndefined(r.path);
  if (old !== undefined && (!old.isFile() || old.size > r.maxBytes)) throw Object.assign(new Error('latest is not a file it wrote'), { code: 'ENOTOURS' });
  writeSynced(r.tmp, Buffer.from(r.text));
  fs.renameSync(r.tmp, r.path);
  syncDir(r.root);
}

// Out of sight at once (a rename); the deletion itself comes after the answer.
const remove = (r) => (renameIfExists(r.path, r.trash) ? r.trash : undefined);

parentPort.on('message', ({ id, request: r }) => {
  let garbage;
  try {
    garbage = r.op === 'commit' ? commit(r) : r.op === 'pointer' ? pointer(r) : remove(r);
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
    return;
  }
  // A commit's buffers (each file's bytes span theirs whole: io sends no view) go back by file name, for the
  // next save to write into: a fresh buffer costs its page faults.
  const buffers = r.op === 'commit' ? r.files.map(([name, bytes]) => [name, bytes.buffer]).filter(([, b]) => b.byteLength > 0) : [];
  const transfer = [...new Set(buffers.map(([, b]) => b))];
  if (garbage === undefined) {
    parentPort.postMessage({ id, buffers }, transfer);
    return;
  }
  // A deletion (~2 ms for a checkpoint here: one unlink per file) is nothing the caller waits for: it is
  // answered first, and told when the deletion is over, so that the process is kept alive until then. A
  // deletion cut short or failed leaves a temporary directory that a later open removes once this
  // process is gone.
  parentPort.postMessage({ id, more: true, buffers }, transfer);
  try { fs.rmSync(garbage, { recursive: true, force: true }); } catch {}
  parentPort.postMessage({ id });
});
`;

interface Pending {
  readonly resolve: (buffers: ReadonlyArray<readonly [name: string, buffer: ArrayBuffer]>) => void;
  readonly reject: (error: Error) => void;
  /** Answered, with a deletion still under way on the thread. */
  answered: boolean;
}

/** The thread, and the requests it has not finished yet. */
interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

let current: Thread | undefined;
let nextId = 0;

function start(): Thread {
  // No inherited execArgv: the thread runs node's own modules only, and needs no loader the process uses.
  const worker = new Worker(SOURCE, { eval: true, execArgv: [] });
  const thread: Thread = { worker, pending: new Map() };
  worker.unref();
  const failAll = (error: Error): void => {
    // Only this thread's requests; a newer thread may serve the next ones.
    if (current === thread) current = undefined;
    for (const p of thread.pending.values()) p.reject(error);
    thread.pending.clear();
  };
  type Answer = { id: number; error?: { message: string; code?: string }; more?: true; buffers?: ReadonlyArray<readonly [name: string, buffer: ArrayBuffer]> };
  worker.on('message', ({ id, error, more, buffers = [] }: Answer) => {
    const p = thread.pending.get(id);
    if (p === undefined) return;
    if (!p.answered) {
      if (error) p.reject(new IoError(error.message, error.code));
      else p.resolve(buffers);
    }
    // Still referenced while a deletion goes on after the answer (more): an exit would cut it short.
    if (more) p.answered = true;
    else thread.pending.delete(id);
    if (thread.pending.size === 0) worker.unref();
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new IoError(`the checkpoint I/O thread exited with code ${code}`, undefined)));
  return thread;
}

/**
 * Does `request` on the I/O thread. The buffers of `files` that span a whole ArrayBuffer are transferred
 * (the caller must not use them afterwards); the bytes of other views are copied. Rejects, never throws.
 *
 * @returns once done, a commit's buffers by file name, back from the thread (fresh objects: the transferred
 *   ones stay detached) for a next save to reuse; nothing for other requests
 */
export function io(request: IoRequest): Promise<ReadonlyArray<readonly [name: string, buffer: ArrayBuffer]>> {
  return new Promise<ReadonlyArray<readonly [name: string, buffer: ArrayBuffer]>>((resolve, reject) => {
    const id = nextId++;
    let thread: Thread | undefined;
    try {
      thread = current ??= start();
      // A view into a larger buffer is copied out first: sent as it is, the whole buffer under it would be
      // cloned. Copied with the constructor: a Node Buffer's slice() is a view, not a copy.
      const sent: IoRequest = request.op === 'commit' ? { ...request, files: request.files.map(([name, bytes]) => [name, spansWhole(bytes) ? bytes : new Uint8Array(bytes)] as const) } : request;
      // Not a detached (or empty) buffer: postMessage throws DataCloneError for a detached one in the list.
      const transfer = sent.op === 'commit' ? [...new Set(sent.files.map(([, bytes]) => bytes.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0) : [];
      thread.pending.set(id, { resolve, reject, answered: false });
      thread.worker.ref();
      thread.worker.postMessage({ id, request: sent }, transfer);
    } catch (error) {
      // A thread that cannot start, or a request that cannot be sent (a detached buffer: DataCloneError).
      if (thread) {
        thread.pending.delete(id);
        if (thread.pending.size === 0) thread.worker.unref();
      }
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
