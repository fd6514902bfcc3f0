import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { memoryStorage } from '../../lib/checkpoint/memoryStorage.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import type { CheckpointStorage } from '../../lib/checkpoint/types.js';
import { CheckpointError } from '../../lib/errors/CheckpointError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { adam } from '../../lib/optim/adam.js';

const FILES = ['checkpoint.json', 'weights.bin', 'checksums.json'] as const;

/** A storage with two checkpoints (steps 1 and 2) of a small Adam run, and the run's fingerprint. */
async function twoCheckpoints() {
  const params = { w: tf.tensor2d([[1, 2, 3], [4, 5, 6]]), b: tf.tensor1d([0.1, 0.2, 0.3]) };
  const opt = adam({ learningRate: 0.01 });
  const optimizerState = opt.init(params);
  const fingerprint = fingerprintOf({ model: { params }, optimizer: opt, accumulationSteps: 2 });
  const storage = memoryStorage();
  const names: string[] = [];
  for (const step of [1, 2])
    names.push(await saveCheckpoint(storage, { state: { step, microBatches: 2 * step, examples: 8 * step, skippedMicroBatches: 0, skippedUpdates: 0, params, optimizerState }, fingerprint }));
  disposeTree([params, optimizerState]);
  return { storage, fingerprint, names: names as [string, string] };
}

async function filesOf(storage: CheckpointStorage, name: string): Promise<Map<string, Uint8Array>> {
  return new Map(await Promise.all(FILES.map(async (f) => [f, await storage.read(name, f, 1e7)] as const)));
}

/** Rewrites one checkpoint with `change` applied to its files. */
async function corrupt(storage: CheckpointStorage, name: string, change: (files: Map<string, Uint8Array>) => void): Promise<void> {
  const files = await filesOf(storage, name);
  change(files);
  await storage.write(name, files);
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const parse = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;

/** Loads `name` and returns the CheckpointError it must fail with, checking that no tensor was made. */
async function refusal(storage: CheckpointStorage, name: string, fingerprint: ReturnType<typeof fingerprintOf>): Promise<CheckpointError> {
  const before = tf.memory().numTensors;
  const error = await loadCheckpoint(storage, { name, fingerprint }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
  expect(error).toBeInstanceOf(CheckpointError);
  return error as CheckpointError;
}

describe('a corrupt checkpoint is detected, never loaded', () => {
  it('a truncated weights.bin is refused, naming the file and its size', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    await corrupt(storage, names[1], (f) => f.set('weights.bin', f.get('weights.bin')!.slice(0, 10)));
    const e = await refusal(storage, names[1], fingerprint);
    expect(e.file).toBe('weights.bin');
    expect(e.message).toMatch(/weights\.bin.*10 bytes.*records 108 \(truncated\)/);
  });

  it('one flipped byte anywhere in weights.bin or checkpoint.json is refused by its SHA-256', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    const original = await filesOf(storage, names[1]);
    for (const file of ['weights.bin', 'checkpoint.json'] as const) {
      const size = original.get(file)!.byteLength;
      for (const at of [0, Math.floor(size / 2), size - 1]) {
        const flipped = original.get(file)!.slice();
        flipped[at]! ^= 0x01;
        await storage.write(names[1], new Map([...original, [file, flipped]]));
        const e = await refusal(storage, names[1], fingerprint);
        expect(e.file).toBe(file);
        expect(e.problem).toMatch(/SHA-256 .* differs/);
      }
    }
  });

  it.each(FILES)('a missing %s is refused, naming it', async (missing) => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    await corrupt(storage, names[1], (f) => f.delete(missing));
    const e = await refusal(storage, names[1], fingerprint);
    expect(e.file).toBe(missing);
    expect(e.problem).toBe('is missing');
  });

  it('an unknown format version is refused, naming it', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    await corrupt(storage, names[1], (f) => f.set('checksums.json', json({ ...parse(f.get('checksums.json')!), formatVersion: 99 })));
    const e = await refusal(storage, names[1], fingerprint);
    expect(e.file).toBe('checksums.json');
    expect(e.message).toContain('unknown format version 99');
  });

  it('garbled JSON is refused, naming the file', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    await corrupt(storage, names[1], (f) => f.set('checksums.json', f.get('checksums.json')!.slice(0, 30)));
    const e = await refusal(storage, names[1], fingerprint);
    expect(e.file).toBe('checksums.json');
    expect(e.problem).toMatch(/garbled JSON/);
  });

  it('a file larger than checksums.json records is refused before it is read', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    let asked = 0;
    const spy: CheckpointStorage = { ...storage, read: (n, f, max) => ((asked = f === 'weights.bin' ? max : asked), storage.read(n, f, max)) };
    await corrupt(storage, names[1], (f) => f.set('weights.bin', new Uint8Array(1000)));
    const e = await refusal(spy, names[1], fingerprint);
    expect(asked).toBe(108);
    expect(e.file).toBe('weights.bin');
  });

  it('a name with .. or a separator is refused, in a load and inside checksums.json', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    await expect(loadCheckpoint(storage, { name: '../etc', fingerprint })).rejects.toThrow(/unsafe name/);
    await corrupt(storage, names[1], (f) => {
      const sums = parse(f.get('checksums.json')!);
      f.set('checksums.json', json({ ...sums, files: { ...(sums['files'] as object), '../../x': { bytes: 1, sha256: '0'.repeat(64) } } }));
    });
    const e = await refusal(storage, names[1], fingerprint);
    expect(e.problem).toMatch(/unsafe name "\.\.\/\.\.\/x"/);
  });

  it('a weights manifest with a dtype named after an Object property ("toString") is refused, naming the entry', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    // Consistent but hostile: checkpoint.json rewritten, and checksums.json recording its new size and hash.
    await corrupt(storage, names[1], (f) => {
      const state = parse(f.get('checkpoint.json')!);
      const [group] = state['weightsManifest'] as Array<{ weights: Array<Record<string, unknown>> }>;
      group!.weights[0]!['dtype'] = 'toString';
      const bytes = json(state);
      f.set('checkpoint.json', bytes);
      const sums = parse(f.get('checksums.json')!);
      const files = sums['files'] as Record<string, unknown>;
      f.set('checksums.json', json({ ...sums, files: { ...files, 'checkpoint.json': { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') } } }));
    });
    const e = await refusal(storage, names[1], fingerprint);
    expect(e.file).toBe('checkpoint.json');
    expect(e.problem).toMatch(/weightsManifest entry .*"dtype":"toString".* is not \{ name, shape, dtype: float32 \| int32 \| bool \}/);
  });

  it('without a name, a corrupt latest falls back to the newest valid checkpoint and reports the one skipped', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    await corrupt(storage, names[1], (f) => f.set('weights.bin', f.get('weights.bin')!.slice(1)));
    const skipped: CheckpointError[] = [];
    const loaded = await loadCheckpoint(storage, { fingerprint, onSkipped: (e) => skipped.push(e) });
    expect(loaded.name).toBe(names[0]);
    expect(loaded.state.step).toBe(1);
    expect(skipped.map((e) => [e.checkpoint, e.file])).toEqual([[names[1], 'weights.bin']]);
    disposeTree(loaded.state);
  });

  it('without a name, when no checkpoint is valid, the load fails with a CheckpointError', async () => {
    const { storage, fingerprint, names } = await twoCheckpoints();
    for (const n of names) await corrupt(storage, n, (f) => f.delete('checkpoint.json'));
    await expect(loadCheckpoint(storage, { fingerprint })).rejects.toThrow(/none of 2 checkpoints is valid/);
    await expect(loadCheckpoint(memoryStorage(), { fingerprint })).rejects.toThrow(/no checkpoint found/);
  });
});
