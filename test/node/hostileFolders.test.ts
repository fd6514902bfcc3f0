import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import type { CheckpointStorage } from '../../lib/checkpoint/types.js';
import type { CheckpointError } from '../../lib/errors/CheckpointError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { fileStorage } from '../../lib/node/fileStorage.js';
import { sgd } from '../../lib/optim/sgd.js';

// A folder given to fileStorage may hold anything: a user's files and folders, other programs' .tmp-
// entries, a second run's save in flight, symlinks out of it. After every call of the storage, nothing that
// gradstream did not write may have changed: the tree (paths, types, contents, symlink targets) is hashed
// before and after, leaving out only the names this process's storage made.

const FORMAT_FILES = new Set(['weights.bin', 'checkpoint.json', 'checksums.json']);

let parent: string;
let store: string;
/** The checkpoints this test's storages saved: theirs to create, replace and prune. */
let own: Set<string>;
let tensorsBefore: number;

const ownTemp = (name: string): boolean => name.startsWith(`.tmp-gradstream-${process.pid}-`);

/** Every entry under `parent` that gradstream did not write: its path, type, content hash or link target. */
async function treeOf(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const inStore = relative(store, join(parent, path)) === '';
    // Inside a checkpoint it made, the format's files are its own; a link someone put there is not.
    const inOwnCheckpoint = relative(store, join(parent, path, '..')) === '' && own.has(relative(store, join(parent, path)));
    for (const name of (await readdir(join(parent, path))).sort()) {
      // Its temporaries come and go (a deletion may be under way on its thread): not walked.
      if (inStore && (ownTemp(name) || name === 'latest' && own.has('latest'))) continue;
      const rel = join(path, name);
      const s = await lstat(join(parent, rel));
      if (s.isSymbolicLink()) out.push(`${rel} -> ${await readlink(join(parent, rel))}`);
      else if (s.isDirectory()) {
        if (!(inStore && own.has(name))) out.push(`${rel}/`);
        await walk(rel);
      } else if (!(inOwnCheckpoint && FORMAT_FILES.has(name))) out.push(`${rel} ${createHash('sha256').update(await readFile(join(parent, rel))).digest('hex')}`);
    }
  };
  await walk('');
  return out;
}

/** The storage, each of whose calls is followed by a check that the tree of others' entries is unchanged. */
async function watched(baseline: string[]): Promise<CheckpointStorage> {
  const storage = await fileStorage(store);
  expect(await treeOf(), 'after fileStorage()').toEqual(baseline);
  const check = <A extends unknown[], R>(method: string, call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await call(...args);
    } finally {
      expect(await treeOf(), `after ${method}(${JSON.stringify(args[0])})`).toEqual(baseline);
    }
  };
  return {
    write: check('write', async (name: string, files: ReadonlyMap<string, Uint8Array>) => {
      own.add(name);
      own.add('latest');
      await storage.write(name, files);
    }),
    list: check('list', () => storage.list()),
    read: check('read', (name: string, file: string, max: number) => storage.read(name, file, max)),
    remove: check('remove', (name: string) => storage.remove(name)),
    setLatest: check('setLatest', (name: string) => storage.setLatest(name)),
    latest: check('latest', () => storage.latest()),
  };
}

const put = async (path: string, text: string): Promise<void> => {
  await mkdir(join(parent, path, '..'), { recursive: true });
  await writeFile(join(parent, path), text);
};

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'gradstream-hostile-'));
  store = join(parent, 'store');
  own = new Set();
  tensorsBefore = tf.memory().numTensors;
  // Other programs' temporaries, beside the storage and in it.
  for (const at of ['', 'store/']) {
    await put(`${at}.tmp-thesis/draft.txt`, 'chapter 1');
    await put(`${at}.tmp-notes.txt`, 'notes');
  }
  // A user's things in the storage's folder, some named as a checkpoint would be.
  await put('store/data/train.csv', '1,2,3');
  await put('store/data/nested/readme.md', '# data');
  await put('store/notes.txt', 'mine');
  await put('store/step-000000000-000000000077/notes.txt', 'a folder named like a checkpoint');
  await put('store/step-000000000-000000000079', 'a file named like a checkpoint');
  // Outside the storage: a folder that looks like a checkpoint, reached through symlinks from inside.
  for (const f of FORMAT_FILES) await put(`outside/step-000000009-000000000009/${f}`, 'not yours');
  await symlink(join(parent, 'outside', 'step-000000009-000000000009'), join(store, 'step-000000000-000000000078'));
  await symlink(join(parent, 'outside'), join(store, 'link-out'));
  // A second run, alive (its pid is this test runner's parent), with a save in flight.
  await put(`store/.tmp-gradstream-${process.ppid}-0badcafe-step-000000005-000000000005/weights.bin`, 'in flight');
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

const params = () => ({ w: tf.tensor2d([[1, 2], [3, 4]]), b: tf.tensor1d([0.5, -0.5]) });
const stateAt = (step: number, p: ReturnType<typeof params>) => ({ step, microBatches: 2 * step, examples: 8 * step, skippedMicroBatches: 0, skippedUpdates: 0, params: p, optimizerState: {} });

/** Saves steps 1..n with `keep`, then returns the run's fingerprint; the params are freed. */
async function saveSteps(storage: CheckpointStorage, n: number, keep: number) {
  const p = params();
  const fingerprint = fingerprintOf({ model: { params: p }, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 });
  for (let step = 1; step <= n; step++) await saveCheckpoint(storage, { state: stateAt(step, p), fingerprint, keep });
  disposeTree(p);
  return fingerprint;
}

describe('fileStorage in a folder that holds other things', () => {
  it('opening it leaves other programs’ .tmp- entries and a live run’s save in flight as they are', async () => {
    const baseline = await treeOf();
    await watched(baseline);
    expect(await readdir(store)).toEqual(expect.arrayContaining(['.tmp-thesis', '.tmp-notes.txt', `.tmp-gradstream-${process.ppid}-0badcafe-step-000000005-000000000005`]));
  });

  it('saving with keep, listing, loading and removing change nothing it did not write, and list only its checkpoints', async () => {
    const baseline = await treeOf();
    const storage = await watched(baseline);
    const fingerprint = await saveSteps(storage, 4, 2);

    expect(await storage.list()).toEqual(['step-000000003-000000000006', 'step-000000004-000000000008']);
    const loaded = await loadCheckpoint(storage, { fingerprint });
    expect(loaded.state.step).toBe(4);
    disposeTree(loaded.state);
    await storage.remove('step-000000003-000000000006');
    expect(await storage.list()).toEqual(['step-000000004-000000000008']);
  });

  it('refuses to remove or replace a folder, a file or a symlink named like a checkpoint that it did not write', async () => {
    const baseline = await treeOf();
    const storage = await watched(baseline);
    for (const name of ['step-000000000-000000000077', 'step-000000000-000000000078', 'step-000000000-000000000079'])
      await expect(storage.remove(name), name).rejects.toThrow(/not a checkpoint this storage wrote.*left as it is/);
    await expect(
      fileStorage(store).then((s) => s.write('step-000000000-000000000077', new Map([['weights.bin', new Uint8Array([1])]]))),
    ).rejects.toThrow(/an entry of that name is there that is not a checkpoint this storage wrote/);
    expect(await treeOf()).toEqual(baseline);
  });

  it('never prunes a checkpoint into which a symlink out of the folder was put, nor follows it', async () => {
    const baseline0 = await treeOf();
    const storage = await watched(baseline0);
    await saveSteps(storage, 1, 1);
    await symlink(join(parent, 'outside'), join(store, 'step-000000001-000000000002', 'escape'));
    const baseline = await treeOf();
    const later = await watched(baseline);

    const p = params();
    const fingerprint = fingerprintOf({ model: { params: p }, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 });
    for (const step of [2, 3]) await saveCheckpoint(later, { state: stateAt(step, p), fingerprint, keep: 1 });
    disposeTree(p);
    expect(await later.list()).toEqual(['step-000000003-000000000006']);
    expect((await readdir(join(store, 'step-000000001-000000000002'))).sort()).toEqual(['checkpoint.json', 'checksums.json', 'escape', 'weights.bin']);
  });

  it('two live storages on one folder save in turn without removing each other’s work', async () => {
    const baseline = await treeOf();
    const [first, second] = [await watched(baseline), await watched(baseline)];
    const p = params();
    const fingerprint = fingerprintOf({ model: { params: p }, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 });
    await Promise.all([saveCheckpoint(first, { state: stateAt(1, p), fingerprint }), saveCheckpoint(second, { state: stateAt(2, p), fingerprint })]);
    disposeTree(p);
    expect(await first.list()).toEqual(['step-000000001-000000000002', 'step-000000002-000000000004']);
  });

  it('leaves a latest that is a directory or a symlink as it is, and loading falls back past it', async () => {
    const storage0 = await watched(await treeOf());
    const fingerprint = await saveSteps(storage0, 2, 3);
    for (const kind of ['directory', 'symlink'] as const) {
      await rm(join(store, 'latest'), { recursive: true });
      if (kind === 'directory') await put('store/latest/mine.txt', 'a folder called latest');
      else await symlink(join(parent, 'outside', 'step-000000009-000000000009', 'checkpoint.json'), join(store, 'latest'));
      // latest is no longer the storage's: it is part of what must not change.
      own.delete('latest');
      const baseline = (await treeOf()).concat();
      const storage = await fileStorage(store);
      await expect(storage.setLatest('step-000000002-000000000004'), kind).rejects.toThrow(/'latest' is a directory, a symlink or a large file/);
      const skipped: CheckpointError[] = [];
      const loaded = await loadCheckpoint(storage, { fingerprint, onSkipped: (e) => skipped.push(e) });
      expect(loaded.name).toBe('step-000000002-000000000004');
      expect(skipped.map((e) => e.file)).toEqual(['latest']);
      disposeTree(loaded.state);
      expect(await lstat(join(store, 'latest')).then((s) => (s.isDirectory() ? 'directory' : s.isSymbolicLink() ? 'symlink' : 'file'))).toBe(kind);
      expect(await treeOf()).toEqual(baseline);
    }
  });

  it('removes a temporary of its own marker whose process is gone, and only that', async () => {
    const baseline = await treeOf();
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    await put(`store/.tmp-gradstream-${dead}-0badcafe-step-000000001-000000000001/weights.bin`, 'cut short');
    await fileStorage(store);
    expect(await treeOf()).toEqual(baseline);
  });
});
