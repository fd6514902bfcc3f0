import * as tf from '@tensorflow/tfjs';
import { buildSync } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { takeBuffer } from '../../lib/checkpoint/internal/spareBuffer.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { CheckpointError } from '../../lib/errors/CheckpointError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { writeParams } from '../../lib/models/writeParams.js';
import { fileModelHandler } from '../../lib/node/fileModelHandler.js';
import { fileStorage } from '../../lib/node/fileStorage.js';
import { useFileModels } from '../../lib/node/useFileModels.js';
import { adam } from '../../lib/optim/adam.js';
import { bitsOf } from '../checkpoint/support.js';

let dir: string;
let tensorsBefore: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gradstream-ckpt-'));
  tensorsBefore = tf.memory().numTensors;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  // Every test frees what it made: saving reads tensors and makes none, loading hands its tensors over.
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

const [A, B] = ['step-000000001-000000000001', 'step-000000002-000000000002'];

/** The pid of a process that has exited: its temporaries are stale. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

const params = () => ({ 'dense/kernel': tf.tensor2d([[1, 2], [3, 4], [5, 6]]), 'dense/bias': tf.tensor1d([0.5, -0.5]) });
const stateAt = (step: number, p: ReturnType<typeof params>, optimizerState: unknown) => ({
  step,
  microBatches: 4 * step,
  examples: 32 * step,
  skippedMicroBatches: 0,
  skippedUpdates: 0,
  params: p,
  optimizerState,
});

describe('fileStorage', () => {
  it('saves and loads on disk bit-identically, one directory per checkpoint, latest naming the newest, the newest K kept', async () => {
    const p = params();
    const opt = adam({ learningRate: 0.01 });
    const s = opt.init(p);
    const fingerprint = fingerprintOf({ model: { params: p }, optimizer: opt, accumulationSteps: 4 });
    const storage = await fileStorage(join(dir, 'ckpt'));
    for (let step = 1; step <= 4; step++) await saveCheckpoint(storage, { state: stateAt(step, p, s), fingerprint, keep: 2 });

    // The removed ones may still be under deletion, renamed out of sight (.tmp-), in the background.
    expect((await readdir(join(dir, 'ckpt'))).filter((e) => !e.startsWith('.tmp-')).sort()).toEqual(['latest', 'step-000000003-000000000012', 'step-000000004-000000000016']);
    expect(await storage.list()).toEqual(['step-000000003-000000000012', 'step-000000004-000000000016']);
    expect((await readFile(join(dir, 'ckpt', 'latest'), 'utf8')).trim()).toBe('step-000000004-000000000016');
    expect((await readdir(join(dir, 'ckpt', 'step-000000004-000000000016'))).sort()).toEqual(['checkpoint.json', 'checksums.json', 'weights.bin']);
    const loaded = await loadCheckpoint(await fileStorage(join(dir, 'ckpt')), { fingerprint });
    expect(bitsOf(loaded.state)).toEqual(bitsOf(stateAt(4, p, s)));
    disposeTree([loaded.state, p, s]);
  });

  it('removes the unfinished temporary directories of a process no longer alive when it opens, and never lists them', async () => {
    const dead = deadPid();
    await mkdir(join(dir, `.tmp-gradstream-${dead}-0badcafe-step-000000009-000000000001`), { recursive: true });
    await writeFile(join(dir, `.tmp-gradstream-${dead}-0badcafe-step-000000009-000000000001`, 'weights.bin'), 'partial');
    const storage = await fileStorage(dir);
    expect(await readdir(dir)).toEqual([]);
    expect(await storage.list()).toEqual([]);
    expect(await storage.latest()).toBeUndefined();
  });

  it('a truncated weights.bin on disk is refused, and loading without a name falls back to the previous checkpoint', async () => {
    const p = params();
    const opt = adam({ learningRate: 0.01 });
    const s = opt.init(p);
    const fingerprint = fingerprintOf({ model: { params: p }, optimizer: opt, accumulationSteps: 4 });
    const storage = await fileStorage(dir);
    await saveCheckpoint(storage, { state: stateAt(1, p, s), fingerprint });
    const newest = await saveCheckpoint(storage, { state: stateAt(2, p, s), fingerprint });
    await truncate(join(dir, newest, 'weights.bin'), 17);

    await expect(loadCheckpoint(storage, { name: newest, fingerprint })).rejects.toThrow(/file 'weights.bin': 17 bytes, but checksums.json records 96 \(truncated\)/);
    const skipped: string[] = [];
    const loaded = await loadCheckpoint(storage, { fingerprint, onSkipped: (e) => skipped.push(e.message) });
    expect(loaded.state.step).toBe(1);
    expect(skipped).toHaveLength(1);
    disposeTree([loaded.state, p, s]);
  });

  it('refuses names with a separator or .., a latest that names one, and a file larger than expected, before reading it', async () => {
    const storage = await fileStorage(dir);
    await expect(storage.read('..', 'weights.bin', 10)).rejects.toThrow(CheckpointError);
    await expect(storage.read('a', '../../etc/passwd', 10)).rejects.toThrow(/unsafe name/);
    await expect(storage.write('/abs', new Map())).rejects.toThrow(/unsafe name/);
    await writeFile(join(dir, 'latest'), '../elsewhere\n');
    await expect(storage.latest()).rejects.toThrow(/file 'latest': names "..\/elsewhere", which is not a checkpoint's name/);
    await mkdir(join(dir, 'step-000000001-000000000001'));
    await writeFile(join(dir, 'step-000000001-000000000001', 'weights.bin'), new Uint8Array(100));
    await expect(storage.read('step-000000001-000000000001', 'weights.bin', 99)).rejects.toThrow(/100 bytes, more than the 99 expected/);
  });

  it('replaces a checkpoint of the same name whole', async () => {
    const storage = await fileStorage(dir);
    await storage.write(A, new Map([['weights.bin', new Uint8Array([1])], ['checkpoint.json', new Uint8Array([2])]]));
    await storage.write(A, new Map([['weights.bin', new Uint8Array([3])]]));
    expect(await readdir(join(dir, A))).toEqual(['weights.bin']);
    expect(Array.from(await storage.read(A, 'weights.bin', 1))).toEqual([3]);
    // The old one is deleted in the background, before the thread takes its next request.
    await storage.setLatest(A);
    expect((await readdir(dir)).sort()).toEqual(['latest', A]);
  });
});

describe('fileStorage: its disk thread', () => {
  it('reports a failed step as a CheckpointError naming the checkpoint, and a latest for an uncommitted one', async () => {
    const storage = await fileStorage(join(dir, 'ckpt'));
    await expect(storage.setLatest(A)).rejects.toThrow(/checkpoint 'step-000000001-000000000001'.*cannot be latest: it is not committed/);
    await rm(join(dir, 'ckpt'), { recursive: true });
    const failure = storage.write(A, new Map([['weights.bin', new Uint8Array([1])]]));
    await expect(failure).rejects.toThrow(CheckpointError);
    await expect(failure).rejects.toThrow(/checkpoint 'step-000000001-000000000001'.*cannot be written: ENOENT/);
    // The thread survives a failed step.
    await mkdir(join(dir, 'ckpt'));
    await storage.write(B, new Map([['weights.bin', new Uint8Array([2])]]));
    expect(Array.from(await storage.read(B, 'weights.bin', 1))).toEqual([2]);
  });

  it('takes a buffer that a file spans whole (transferred), and copies a view into a larger one, a Node Buffer too', async () => {
    const storage = await fileStorage(dir);
    const whole = new Uint8Array([1, 2, 3]);
    const shared = new Uint8Array(16).fill(7);
    const view = shared.subarray(4, 8);
    // A Buffer's slice() is a view: copied as one, the whole buffer under it would have been transferred.
    const nodeBuffer = Buffer.alloc(100, 5);
    await storage.write(A, new Map([['weights.bin', whole], ['checkpoint.json', view], ['checksums.json', nodeBuffer.subarray(10, 20)]]));
    expect(whole.byteLength).toBe(0);
    expect(Array.from(shared)).toEqual(new Array<number>(16).fill(7));
    expect(nodeBuffer.byteLength).toBe(100);
    expect(Array.from(await storage.read(A, 'checksums.json', 10))).toEqual(new Array<number>(10).fill(5));
    expect(Array.from(await storage.read(A, 'weights.bin', 3))).toEqual([1, 2, 3]);
    expect(Array.from(await storage.read(A, 'checkpoint.json', 4))).toEqual([7, 7, 7, 7]);
  });

  it('saves different values one after the other into the buffer given back, and loads each back exactly', async () => {
    const p1 = params();
    const p2 = tf.tidy(() => Object.fromEntries(Object.entries(p1).map(([n, t]) => [n, tf.mul(t, -3.5)])) as ReturnType<typeof params>);
    const opt = adam({ learningRate: 0.01 });
    const s1 = opt.init(p1);
    // Moments that differ from the first state's zeros, so that no byte of the second save repeats the first's.
    const zeros = opt.init(p2);
    const [updates, s2] = opt.update(p2, zeros, p2);
    disposeTree([updates, zeros]);
    const fingerprint = fingerprintOf({ model: { params: p1 }, optimizer: opt, accumulationSteps: 4 });
    const storage = await fileStorage(dir);
    const first = await saveCheckpoint(storage, { state: stateAt(1, p1, s1), fingerprint });
    const second = await saveCheckpoint(storage, { state: stateAt(2, p2, s2), fingerprint });

    const [a, b] = [await loadCheckpoint(storage, { name: first, fingerprint }), await loadCheckpoint(storage, { name: second, fingerprint })];
    expect(bitsOf(a.state)).toEqual(bitsOf(stateAt(1, p1, s1)));
    expect(bitsOf(b.state)).toEqual(bitsOf(stateAt(2, p2, s2)));
    disposeTree([a.state, b.state, p1, p2, s1, s2]);
  });

  it("gives weights.bin's buffer back once it is on disk, for the next save of that size to write into (no fresh buffer to fault in)", async () => {
    const storage = await fileStorage(dir);
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i % 251) + 1);
    await storage.write(A, new Map([['weights.bin', bytes.slice()], ['checkpoint.json', new Uint8Array(5000).fill(9)]]));

    // The buffer back holds what was written: a fresh one would be zeros. Another size gets a fresh one.
    expect(Array.from(takeBuffer(4095))).toEqual(new Array<number>(4095).fill(0));
    const reused = takeBuffer(4096);
    expect(Array.from(reused)).toEqual(Array.from(bytes));
    expect(Array.from(takeBuffer(4096))).toEqual(new Array<number>(4096).fill(0));
    expect(Array.from(await storage.read(A, 'weights.bin', 4096))).toEqual(Array.from(bytes));
  });

  it('refuses bytes it was already given (their buffer went to the disk thread) with a CheckpointError, not a hang', async () => {
    const storage = await fileStorage(dir);
    const files = new Map([['weights.bin', new Uint8Array([1, 2, 3])]]);
    await storage.write(A, files);
    await expect(storage.write(B, files)).rejects.toThrow(/checkpoint 'step-000000002-000000000002'.*cannot be written/);
    expect(await storage.list()).toEqual([A]);
  });

  it('does not keep the process alive once its saves are done, but until its background deletions are', async () => {
    const entry = join(dir, 'entry.ts');
    await writeFile(
      entry,
      `import { fileStorage } from ${JSON.stringify(fileURLToPath(new URL('../../lib/node/fileStorage.ts', import.meta.url)))};
const storage = await fileStorage(process.argv[2]);
const [a, b] = ['step-000000001-000000000001', 'step-000000002-000000000002'];
// Large files: a deletion long enough for an exit to cut it short, were the process not kept alive.
await storage.write(a, new Map([['weights.bin', new Uint8Array(1 << 24)], ['checkpoint.json', new Uint8Array(1 << 24)]]));
await storage.write(b, new Map([['weights.bin', new Uint8Array([2])]]));
await storage.setLatest(b);
// Two deletions after their answers: the old b that this one replaces, and a.
await storage.write(b, new Map([['weights.bin', new Uint8Array(1 << 20)]]));
await storage.remove(a);
console.log('saved', await storage.latest());`,
    );
    // Next to node_modules, so that the external tfjs resolves as it does for the library.
    const bundle = fileURLToPath(new URL('../../node_modules/.cache/gradstream-test/storage-entry.mjs', import.meta.url));
    buildSync({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['@tensorflow/*'], outfile: bundle, logLevel: 'silent' });
    const run = spawnSync(process.execPath, [bundle, join(dir, 'ckpt')], { encoding: 'utf8', timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout.trim()}${run.stderr}`).toBe(`saved ${B}`);
    expect(run.status).toBe(0);
    expect((await readdir(join(dir, 'ckpt'))).sort()).toEqual(['latest', B]);
  });
});

describe('the final model on disk', () => {
  it('tf.loadLayersModel opens model/ through a file:// URL and predicts exactly what the trained params predict', async () => {
    useFileModels();
    const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'tanh' }), tf.layers.dense({ units: 2 })] });
    const model = fromLayersModel(layers);
    // Params that differ from the layers' own: what training would have produced.
    const trained = tf.tidy(() => Object.fromEntries(Object.entries(model.params).map(([n, t]) => [n, tf.add(t, tf.scalar(0.25))])));
    writeParams(layers, trained);
    await layers.save(fileModelHandler(join(dir, 'model')));
    const xs = tf.tensor2d([[0.1, -0.2, 0.3], [1, 2, 3]]);

    const loaded = await tf.loadLayersModel(pathToFileURL(join(dir, 'model', 'model.json')).href);
    const predicted = loaded.predict(xs) as tf.Tensor;
    const expected = model.apply(trained, xs);

    expect(bitsOf(predicted)).toEqual(bitsOf(expected));
    tf.dispose([xs, predicted, expected]);
    disposeTree(trained);
    loaded.dispose();
    layers.dispose();
  });
});
