import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../errors/CheckpointError.js';
import { checkSafeName, isSafeName } from '../checkpoint/internal/format.js';
import type { CheckpointStorage } from '../checkpoint/types.js';

const TEMP = '.tmp-';
const LATEST = 'latest';

/**
 * A {@link CheckpointStorage} on the file system: one directory per checkpoint under `dir`, and a file
 * `latest` holding the newest checkpoint's name.
 *
 * A checkpoint is written into a temporary directory (`.tmp-…`); each file is fsynced, then the directory;
 * then it is renamed into place and `dir` is fsynced. `latest` is written to a temporary file, fsynced and
 * renamed over the old one. So after a crash (kill -9, power loss on a file system that honours fsync and
 * rename) `dir` holds whole checkpoints and at most some `.tmp-` leftovers, and `latest` names a whole
 * checkpoint. Opening the storage removes the leftovers of unfinished saves.
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

  return {
    write: async (name, files) => {
      const final = at(name);
      for (const file of files.keys()) checkSafeName(name, file, file);
      const tmp = temp(name);
      await mkdir(tmp);
      try {
        for (const [file, bytes] of files) await writeSynced(join(tmp, file), bytes);
        await syncDir(tmp);
        // A checkpoint of the same name (a run resumed and stopped again at the same place) is moved aside
        // first: rename cannot replace a non-empty directory.
        const old = temp(`${name}-old`);
        const replaced = await rename(final, old).then(
          () => true,
          (e: NodeJS.ErrnoException) => {
            if (e.code === 'ENOENT') return false;
            throw e;
          },
        );
        await rename(tmp, final);
        await syncDir(root);
        if (replaced) await rm(old, { recursive: true, force: true });
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        throw error instanceof CheckpointError ? error : new CheckpointError(name, '', `cannot be written: ${(error as Error).message}`, error);
      }
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
      await rm(at(name), { recursive: true, force: true });
    },
    setLatest: async (name) => {
      const s = await stat(at(name)).catch(() => undefined);
      if (!s?.isDirectory()) throw new CheckpointError(name, '', 'cannot be latest: it is not committed');
      const tmp = join(root, `${TEMP}${LATEST}-${process.pid}-${randomBytes(4).toString('hex')}`);
      await writeSynced(tmp, new TextEncoder().encode(`${name}\n`));
      await rename(tmp, join(root, LATEST));
      await syncDir(root);
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

/** Writes `bytes` to a new file and fsyncs it before closing. */
async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a directory, so that the entries created or renamed in it survive a crash. */
async function syncDir(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) cannot fsync a directory: the rename is then as durable as they allow.
    if (!['EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}
