import { constants } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../errors/CheckpointError.js';
import { CHECKPOINT_FILES, CHECKPOINT_NAME, checkSafeName, WEIGHTS } from '../checkpoint/internal/format.js';
import { giveBack } from '../checkpoint/internal/spareBuffer.js';
import type { CheckpointStorage } from '../checkpoint/types.js';
import { io, IoError } from './internal/ioThread.js';
import { isOwnCheckpoint, MAX_LATEST_BYTES, staleTemporaries, tempName } from './internal/ownedEntries.js';

const LATEST = 'latest';
// Not following a symlink where it is opened: a link in a checkpoint is not part of it (0 where unknown).
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * A {@link CheckpointStorage} on the file system: one directory per checkpoint under `dir`, and a file
 * `latest` holding the newest checkpoint's name.
 *
 * `dir` may be shared with anything else (a run's output, a home folder, a second run): the storage owns only
 * the names it makes, and touches nothing else. Its checkpoints are directories named as saveCheckpoint
 * names them (`step-…`) that hold only the format's regular files (`weights.bin`, `checkpoint.json`,
 * `checksums.json`); its temporaries are named `.tmp-gradstream-<pid>-<random>-…`; and `latest` is a small
 * regular file. `list` lists only such checkpoints, `remove` (and so `keep`) deletes only them, never
 * following a symlink, and `write` and `setLatest` refuse to replace an entry of those names that is not
 * the storage's own (a directory `latest`, a user's folder named like a checkpoint). Only the process that
 * made a temporary cleans it up, unless that process is no longer alive: opening a storage never deletes
 * what a live run is writing.
 *
 * A checkpoint is written into a temporary directory; each file is fsynced, then the directory; then it is
 * renamed into place and `dir` is fsynced. `latest` is written to a temporary file, fsynced and renamed over
 * the old one, and `dir` is fsynced again. A removed checkpoint is renamed out of sight (a temporary name),
 * which is all `remove` waits for; the deletion follows on the helper thread. So after a crash (kill -9,
 * power loss on a file system that honours fsync and rename) `dir` holds whole checkpoints and at most some
 * temporaries of the dead process, which the next open removes, and `latest` names a whole checkpoint.
 *
 * The disk work runs on one helper thread per process, one message per step above (commit, move `latest`,
 * remove): a save proceeds while the main thread trains, and costs that thread only the reading of tensors.
 * `write` takes the bytes it is given: a buffer that a file's bytes span whole is transferred to that thread
 * (the bytes of a view into a larger one are copied), and once on disk is kept for the next save's
 * `weights.bin` to reuse (a fresh buffer costs its page faults).
 *
 * Everything read is untrusted: names are plain names (no separator, no `..`, nothing absolute), a file is
 * opened without following a symlink, and its size is checked against what the caller expects before
 * anything is allocated for it.
 *
 * ## Example
 * ```ts
 * import { fileStorage } from 'gradstream/node';
 * const storage = await fileStorage('runs/mnist/checkpoints');
 * await saveCheckpoint(storage, { state: step.state, fingerprint, keep: 3 });
 * ```
 *
 * @param dir the directory (created if missing)
 * @returns the storage, once the temporaries of processes no longer alive are removed
 * @see saveCheckpoint
 * @see loadCheckpoint
 */
export async function fileStorage(dir: string): Promise<CheckpointStorage> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  // Leftovers of saves cut short (a kill during a save): never committed, never named by latest.
  for (const entry of await staleTemporaries(root)) await rm(join(root, entry), { recursive: true, force: true });

  const at = (name: string): string => join(root, checkSafeName(name, '', name));
  const temp = (what: string): string => join(root, tempName(what));
  const ownName = (name: string): string => {
    checkSafeName(name, '', name);
    if (!CHECKPOINT_NAME.test(name)) throw new CheckpointError(name, '', 'is not a name fileStorage makes (step-<updates>-<micro-batches>, as saveCheckpoint names them)', name);
    return name;
  };

  const failed = (name: string, file: string, what: string) => (error: unknown): never => {
    throw error instanceof CheckpointError ? error : new CheckpointError(name, file, `${what}: ${(error as Error).message}`, error);
  };

  return {
    write: async (name, files) => {
      ownName(name);
      for (const file of files.keys()) {
        checkSafeName(name, file, file);
        if (!CHECKPOINT_FILES.has(file)) throw new CheckpointError(name, file, `is not a file of a checkpoint (${[...CHECKPOINT_FILES].join(', ')})`, file);
      }
      const replace = await isOwnCheckpoint(root, name);
      const request = { op: 'commit', final: at(name), tmp: temp(name), aside: temp(`${name}-old`), replace, root, files: [...files] } as const;
      const done = await io(request).catch((error: unknown) =>
        failed(name, '', 'cannot be written')(error instanceof IoError && error.code === 'ENOTOURS' ? new CheckpointError(name, '', 'cannot be written: an entry of that name is there that is not a checkpoint this storage wrote, left as it is') : error),
      );
      // weights.bin's is the one worth keeping: the next save of this run writes one of the same size.
      for (const [file, buffer] of done) if (file === WEIGHTS) giveBack(buffer);
    },
    list: async () => {
      const entries = await readdir(root).catch(failed('', '', 'cannot be listed'));
      const own = await Promise.all(entries.map(async (e) => ((await isOwnCheckpoint(root, e)) ? [e] : [])));
      return own.flat().sort();
    },
    read: async (name, file, maxBytes) => {
      const path = join(at(name), checkSafeName(name, file, file));
      // Opened first and measured through the handle: what is measured is what is read.
      const handle = await open(path, constants.O_RDONLY | NO_FOLLOW).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new CheckpointError(name, file, 'is missing');
        if (code === 'ELOOP') throw new CheckpointError(name, file, 'is a symlink, not a file of the checkpoint');
        return failed(name, file, 'cannot be opened')(error);
      });
      try {
        const s = await handle.stat();
        if (!s.isFile()) throw new CheckpointError(name, file, 'is not a file');
        // Checked before anything is allocated: a huge or swapped file is refused by its size alone.
        if (s.size > maxBytes) throw new CheckpointError(name, file, `${s.size} bytes, more than the ${maxBytes} expected`, s.size);
        const bytes = new Uint8Array(s.size);
        let filled = 0;
        for (let n = -1; n !== 0 && filled < bytes.byteLength; filled += n) n = (await handle.read(bytes, filled, bytes.byteLength - filled, filled)).bytesRead;
        return filled === bytes.byteLength ? bytes : bytes.subarray(0, filled);
      } catch (error) {
        return failed(name, file, 'cannot be read')(error);
      } finally {
        await handle.close();
      }
    },
    remove: async (name) => {
      ownName(name);
      if (!(await isOwnCheckpoint(root, name))) {
        const absent = await readdir(root).then((e) => !e.includes(name), () => true);
        if (absent) return;
        throw new CheckpointError(name, '', 'cannot be removed: it is not a checkpoint this storage wrote (a symlink, or a directory holding other files), left as it is');
      }
      await io({ op: 'remove', path: at(name), trash: temp(`${name}-removed`) }).catch(failed(name, '', 'cannot be removed'));
    },
    setLatest: async (name) => {
      ownName(name);
      const request = { op: 'pointer', tmp: temp(LATEST), target: at(name), path: join(root, LATEST), maxBytes: MAX_LATEST_BYTES, root, text: `${name}\n` } as const;
      await io(request).catch((error: unknown) => {
        const code = error instanceof IoError ? error.code : undefined;
        if (code === 'ENOTCOMMITTED') throw new CheckpointError(name, '', 'cannot be latest: it is not committed');
        if (code === 'ENOTOURS') throw new CheckpointError(name, LATEST, `cannot be made latest: '${LATEST}' is a directory, a symlink or a large file that this storage did not write, left as it is`);
        return failed(name, '', 'cannot be made latest')(error);
      });
    },
    latest: async () => {
      let handle;
      try {
        handle = await open(join(root, LATEST), constants.O_RDONLY | NO_FOLLOW);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new CheckpointError('', LATEST, `is not a short file naming a checkpoint (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, error);
      }
      try {
        const s = await handle.stat();
        if (!s.isFile() || s.size > MAX_LATEST_BYTES) throw new CheckpointError('', LATEST, 'is not a short file naming a checkpoint', s.size);
        const bytes = new Uint8Array(s.size);
        const { bytesRead } = await handle.read(bytes, 0, s.size, 0);
        const name = new TextDecoder().decode(bytes.subarray(0, bytesRead)).trim();
        if (!CHECKPOINT_NAME.test(name)) throw new CheckpointError('', LATEST, `names ${JSON.stringify(name)}, which is not a checkpoint's name`, name);
        return name;
      } catch (error) {
        return failed('', LATEST, 'cannot be read')(error);
      } finally {
        await handle.close();
      }
    },
  };
}
