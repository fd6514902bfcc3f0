/**
 * What fileStorage owns in its folder, and how it tells its entries from everyone else's. Not public.
 *
 * A folder given to fileStorage may hold anything (a user's data, another program's `.tmp-` files, a
 * second run): the storage touches only
 * - checkpoints: directories named as saveCheckpoint names them (`step-<9+ digits>-<12+ digits>`) that
 *   hold only regular files of the checkpoint format (`weights.bin`, `checkpoint.json`, `checksums.json`);
 *   never a symlink, nor a directory holding anything else;
 * - its temporaries: `.tmp-gradstream-<pid>-<random>-<what>`, which only the process of that pid writes and
 *   cleans up, unless that process is gone (a stale one, of a save cut short by a kill);
 * - `latest`: a small regular file, never a directory or a symlink.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_FILES, CHECKPOINT_NAME } from '../../checkpoint/internal/format.js';

export const TEMP_PREFIX = '.tmp-gradstream-';
/** No `latest` this storage writes is larger: a longer file is not its own. */
export const MAX_LATEST_BYTES = 256;

const TEMP = /^\.tmp-gradstream-(\d+)-[0-9a-f]{8}-/;
// What gradstream 0.1 named its temporaries, before the marker: a checkpoint's or latest's, with a pid.
const LEGACY_TEMP = /^\.tmp-(?:step-\d{9,}-\d{12,}(?:-old|-removed)?|latest)-(\d+)-[0-9a-f]{8}$/;

/** A fresh temporary name of this process, for `what` (a checkpoint's name, `latest`). */
export const tempName = (what: string): string => `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}-${what}`;

/** Whether a process of that pid runs (on this machine): one that cannot be signalled for lack of rights does. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The temporaries in `root` that a process gone since left behind: named with gradstream's marker (or its
 * earlier names), with the pid of no live process, and a directory or a regular file (never a symlink).
 * The temporaries of live processes, this one included, are theirs to finish or clean up.
 */
export async function staleTemporaries(root: string): Promise<string[]> {
  const stale: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const pid = (TEMP.exec(entry.name) ?? LEGACY_TEMP.exec(entry.name))?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    if (entry.isDirectory() || entry.isFile()) stale.push(entry.name);
  }
  return stale;
}

/**
 * Whether `root/name` is a checkpoint this storage wrote: its name is saveCheckpoint's pattern, it is a
 * directory (not a symlink to one), and it holds one or more entries, each a regular file of the format.
 */
export async function isOwnCheckpoint(root: string, name: string): Promise<boolean> {
  if (!CHECKPOINT_NAME.test(name)) return false;
  const path = join(root, name);
  const self = await lstat(path).catch(() => undefined);
  if (self === undefined || !self.isDirectory()) return false;
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  return entries !== undefined && entries.length > 0 && entries.every((e) => e.isFile() && CHECKPOINT_FILES.has(e.name));
}
