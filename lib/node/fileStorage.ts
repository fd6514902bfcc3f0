import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../errors/CheckpointError.js';
import { checkSafeName, isSafeName, WEIGHTS } from '../checkpoint/internal/format.js';
import { giveBack } from '../checkpoint/internal/spareBuffer.js';
import type { CheckpointStorage } from '../checkpoint/types.js';
import { io, IoError } from './internal/ioThread.js';

const TEMP = '.tmp-';
const LATEST = 'latest';

/**
 * A {@link CheckpointStorage} on the file system: one directory per checkpoint under `dir`, and a file
 * `latest` holding the newest checkpoint's name.
 *
 * A checkpoint is written into a temporary directory (`.tmp-…`); each file is fsynced, then the directory;
 * then it is renamed into place and `dir` is fsynced. `latest` is written to a temporary file, fsynced and
 * renamed over the old one, and `dir` is fsynced again. A removed checkpoint is renamed out of sight
 * (`.tmp-…`), which is all `remove` waits for; the deletion follows on the helper thread. So after a crash
 * (kill -9, power loss on a file system that honours fsync and rename) `dir` holds whole checkpoints and at
 * most some `.tmp-` leftovers, and `latest` names a whole checkpoint. Opening the storage removes the
 * leftovers.
 *
 * The disk work runs on one helper thread per process, one message per step above (commit, move `latest`,
 * remove): a save proceeds while the main thread trains, and costs that thread only the reading of tensors.
 * `write` takes the bytes it is given: a buffer that a file's bytes span whole is transferred to that thread
 * (the bytes of a view into a larger one are copied), and once on disk is kept for the next save's
 * `weights.bin` to reuse (a fresh buffer costs its page faults).
 *
 * Everything read is untrusted: names are plain names (no separator, no `..`, nothing absolute), and a file's
 * size is checked against what the caller expects before it is read.
 *
 * ## Example
 * ```ts
 * import { fileStorage } from 'gradstream/node';
 * const storage = await fileStorage('runs/mnist/checkpoints');
 * await saveCheckpoint(storage, { state: step.state, fingerprint, keep: 3 });
 * ```
 *
 * @param dir the directory (created if missing)
 * @returns the storage, once unfinished temporary directories are removed
 * @see saveCheckpoint
 * @see loadCheckpoint
 */
export async function fileStorage(dir: string): Promise<CheckpointStorage> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  // Leftovers of saves cut short (a kill during a save): never committed, never named by latest.
  for (const entry of await readdir(root)) if (entry.startsWith(TEMP)) await rm(join(root, entry), { recursive: true, force: true });

  const at = (name: string): string => join(root, checkSafeName(name, '', name));
  const temp = (name: string): string => join(root, `${TEMP}${name}-${process.pid}-${randomBytes(4).toString('hex')}`);

  const failed = (name: string, what: string) => (error: unknown): never => {
    throw error instanceof CheckpointError ? error : new CheckpointError(name, '', `${what}: ${(error as Error).message}`, error);
  };

  return {
    write: async (name, files) => {
      for (const file of files.keys()) checkSafeName(name, file, file);
      const request = { op: 'commit', final: at(name), tmp: temp(name), aside: temp(`${name}-old`), root, files: [...files] } as const;
      const done = await io(request).catch(failed(name, 'cannot be written'));
      // weights.bin's is the one worth keeping: the next save of this run writes one of the same size.
      for (const [file, buffer] of done) if (file === WEIGHTS) giveBack(buffer);
    },
    list: async () => {
      const entries = await readdir(root, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && isSafeName(e.name) && !e.name.startsWith(TEMP)).map((e) => e.name).sort();
    },
    read: async (name, file, maxBytes) => {
      const path = join(at(name), checkSafeName(name, file, file));
      let size: number;
      try {
        const s = await stat(path);
        if (!s.isFile()) throw new CheckpointError(name, file, 'is not a file');
        size = s.size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CheckpointError(name, file, 'is missing');
        throw error;
      }
      // Checked before anything is allocated: a huge or swapped file is refused by its size alone.
      if (size > maxBytes) throw new CheckpointError(name, file, `${size} bytes, more than the ${maxBytes} expected`, size);
      const bytes = await readFile(path);
      if (bytes.byteLength > maxBytes) throw new CheckpointError(name, file, `${bytes.byteLength} bytes, more than the ${maxBytes} expected`, bytes.byteLength);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    remove: async (name) => {
      await io({ op: 'remove', path: at(name), trash: temp(`${name}-removed`) }).catch(failed(name, 'cannot be removed'));
    },
    setLatest: async (name) => {
      await io({ op: 'pointer', tmp: temp(LATEST), target: at(name), path: join(root, LATEST), root, text: `${name}\n` }).catch((error: unknown) =>
        failed(name, 'cannot be made latest')(error instanceof IoError && error.code === 'ENOTCOMMITTED' ? new CheckpointError(name, '', 'cannot be latest: it is not committed') : error),
      );
    },
    latest: async () => {
      const path = join(root, LATEST);
      const s = await stat(path).catch(() => undefined);
      if (s === undefined) return undefined;
      if (!s.isFile() || s.size > 256) throw new CheckpointError('', LATEST, `is not a short file naming a checkpoint`, s.size);
      const name = (await readFile(path, 'utf8')).trim();
      return checkSafeName('', LATEST, name);
    },
  };
}
