/**
 * The thread that does fileStorage's disk work: each request (commit a checkpoint directory, move `latest`,
 * remove a checkpoint) is one message, done there with synchronous calls, so that a save's dozen of
 * steps (write, fsync, rename) proceed while the main thread computes, instead of one step per turn of its
 * event loop. Not public.
 *
 * One thread per process, started on first use; it keeps the process alive only while a request is pending.
 */
import { Worker } from 'node:worker_threads';

/** A request, as the thread receives it (paths are absolute and already checked by fileStorage). */
export type IoRequest =
  | {
      readonly op: 'commit';
      /** The checkpoint's directory, its temporary name, and where an old one of the same name goes. */
      readonly final: string;
      readonly tmp: string;
      readonly aside: string;
      readonly root: string;
      readonly files: ReadonlyArray<readonly [name: string, bytes: Uint8Array]>;
    }
  | {
      readonly op: 'pointer';
      /** The checkpoint it will name, which must be a directory (else the error's code is ENOTCOMMITTED). */
      readonly target: string;
      readonly tmp: string;
      readonly path: string;
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

function renameIfExists(from, to) {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT') return false;
    throw error;
  }
}

function commit(r) {
  fs.mkdirSync(r.tmp);
  try {
    for (const [name, bytes] of r.files) writeSynced(join(r.tmp, name), bytes);
    syncDir(r.tmp);
    // rename cannot replace a non-empty directory: a checkpoint of the same name is moved aside first.
    const replaced = renameIfExists(r.final, r.aside);
    fs.renameSync(r.tmp, r.final);
    syncDir(r.root);
    if (replaced) fs.rmSync(r.aside, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(r.tmp, { recursive: true, force: true });
    throw error;
  }
}

parentPort.on('message', ({ id, request: r }) => {
  try {
    if (r.op === 'commit') commit(r);
    else if (r.op === 'pointer') {
      let committed = false;
      try { committed = fs.statSync(r.target).isDirectory(); } catch {}
      if (!committed) throw Object.assign(new Error('not committed'), { code: 'ENOTCOMMITTED' });
      writeSynced(r.tmp, Buffer.from(r.text));
      fs.renameSync(r.tmp, r.path);
      syncDir(r.root);
    } else if (renameIfExists(r.path, r.trash)) {
      // Out of sight at once; if the deletion is cut short, the .tmp- leftover goes at the next open.
      fs.rmSync(r.trash, { recursive: true, force: true });
    }
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The thread, and the requests it has not answered yet. */
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
  worker.on('message', ({ id, error }: { id: number; error?: { message: string; code?: string } }) => {
    const p = thread.pending.get(id);
    thread.pending.delete(id);
    if (thread.pending.size === 0) worker.unref();
    if (error) p?.reject(new IoError(error.message, error.code));
    else p?.resolve();
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new IoError(`the checkpoint I/O thread exited with code ${code}`, undefined)));
  return thread;
}

/**
 * Does `request` on the I/O thread. The buffers of `files` that span a whole ArrayBuffer are transferred
 * (the caller must not use them afterwards); others are copied. Rejects, never throws.
 */
export function io(request: IoRequest): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const id = nextId++;
    let thread: Thread | undefined;
    try {
      thread = current ??= start();
      const transfer =
        request.op === 'commit'
          ? request.files
              .map(([, bytes]) => bytes.buffer)
              .filter(
                (b, i, all): b is ArrayBuffer =>
                  // Not a detached (or empty) one: postMessage would drop the whole message without a word.
                  b instanceof ArrayBuffer && b.byteLength > 0 && all.indexOf(b) === i && request.files.every(([, x]) => x.buffer !== b || x.byteLength === b.byteLength),
              )
          : [];
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage({ id, request }, transfer);
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
