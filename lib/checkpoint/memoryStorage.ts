import { CheckpointError } from '../errors/CheckpointError.js';
import { checkSafeName } from './internal/format.js';
import type { CheckpointStorage } from './types.js';

/**
 * A {@link CheckpointStorage} in memory: for tests, for short runs in a browser tab, and as the reference
 * for other stores. Writes are atomic (a checkpoint appears whole or not at all); bytes are copied in and
 * out, so no caller can alter a stored file by accident.
 *
 * ## Example
 * ```ts
 * const storage = memoryStorage();
 * await saveCheckpoint(storage, { state: step.state, fingerprint });
 * await storage.list(); // ['step-000000001-000000000004']
 * ```
 *
 * @returns an empty store
 * @see fileStorage in `gradstream/node`, for the file system
 */
export function memoryStorage(): CheckpointStorage {
  const checkpoints = new Map<string, ReadonlyMap<string, Uint8Array>>();
  let latest: string | undefined;
  return {
    write: async (name, files) => {
      checkSafeName(name, '', name);
      for (const file of files.keys()) checkSafeName(name, file, file);
      checkpoints.set(name, new Map([...files].map(([f, b]) => [f, b.slice()])));
    },
    list: async () => [...checkpoints.keys()].sort(),
    read: async (name, file, maxBytes) => {
      const bytes = checkpoints.get(checkSafeName(name, '', name))?.get(checkSafeName(name, file, file));
      if (bytes === undefined) throw new CheckpointError(name, file, 'is missing');
      if (bytes.byteLength > maxBytes) throw new CheckpointError(name, file, `${bytes.byteLength} bytes, more than the ${maxBytes} expected`, bytes.byteLength);
      return bytes.slice();
    },
    remove: async (name) => {
      checkpoints.delete(checkSafeName(name, '', name));
    },
    setLatest: async (name) => {
      if (!checkpoints.has(checkSafeName(name, '', name))) throw new CheckpointError(name, '', 'cannot be latest: it is not committed');
      latest = name;
    },
    latest: async () => latest,
  };
}
