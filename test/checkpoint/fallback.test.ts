import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { CheckpointError } from '../../lib/errors/CheckpointError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { fileStorage } from '../../lib/node/fileStorage.js';
import { adam } from '../../lib/optim/adam.js';

// The fallback: without a name, loadCheckpoint passes over every invalid candidate (a latest that cannot be
// read, a checkpoint corrupt in any way, a checkpoint.json of the wrong types), telling onSkipped about each
// with a CheckpointError naming it and the file, and loads the newest valid checkpoint.

const NEWEST = 'step-000000003-000000000006';
const VALID = 'step-000000002-000000000004';

let dir: string;
let tensorsBefore: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gradstream-fallback-'));
  tensorsBefore = tf.memory().numTensors;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  expect(tf.memory().numTensors).toBe(tensorsBefore);
});

/** Saves steps 1..3 of a small Adam run; returns its fingerprint. */
async function threeCheckpoints() {
  const params = { w: tf.tensor2d([[1, 2, 3], [4, 5, 6]]), b: tf.tensor1d([0.1, 0.2, 0.3]) };
  const opt = adam({ learningRate: 0.01 });
  const optimizerState = opt.init(params);
  const fingerprint = fingerprintOf({ model: { params }, optimizer: opt, accumulationSteps: 2 });
  const storage = await fileStorage(dir);
  for (const step of [1, 2, 3])
    await saveCheckpoint(storage, { state: { step, microBatches: 2 * step, examples: 8 * step, skippedMicroBatches: 0, skippedUpdates: 0, params, optimizerState }, fingerprint });
  disposeTree([params, optimizerState]);
  return fingerprint;
}

const file = (name: string) => join(dir, NEWEST, name);
const parse = async (name: string) => JSON.parse(await readFile(file(name), 'utf8')) as Record<string, unknown>;

/** Parsed JSON edited as a hostile file would be, field by field: any shape goes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Edited = Record<string, any>;

/** Rewrites the newest checkpoint.json with `change` applied, and checksums.json to match: hostile but consistent. */
async function rewriteState(change: (state: Edited) => void): Promise<void> {
  const state = await parse('checkpoint.json');
  change(state);
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  await writeFile(file('checkpoint.json'), bytes);
  const sums = await parse('checksums.json');
  (sums['files'] as Record<string, unknown>)['checkpoint.json'] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
  await writeFile(file('checksums.json'), JSON.stringify(sums));
}

const flipByte = async (name: string) => {
  const bytes = await readFile(file(name));
  bytes[Math.floor(bytes.byteLength / 2)]! ^= 1;
  await writeFile(file(name), bytes);
};

type Case = readonly [what: string, corrupt: () => Promise<void>, skippedFile: string, message: RegExp];

const latestCases: ReadonlyArray<Case> = [
  ['garbled', () => writeFile(join(dir, 'latest'), new Uint8Array([0xff, 0x00, 0x13, 0x37])), 'latest', /file 'latest': names .*which is not a checkpoint's name/],
  ['empty', () => writeFile(join(dir, 'latest'), ''), 'latest', /file 'latest': names "", which is not a checkpoint's name/],
  ['a directory', async () => (await rm(join(dir, 'latest')), await mkdir(join(dir, 'latest'))), 'latest', /file 'latest': is not a short file naming a checkpoint/],
  ['too large', () => writeFile(join(dir, 'latest'), 'x'.repeat(10_000)), 'latest', /file 'latest': is not a short file naming a checkpoint/],
  ['dangling', () => writeFile(join(dir, 'latest'), 'step-000000099-000000000099\n'), 'checksums.json', /checkpoint 'step-000000099-000000000099', file 'checksums.json': is missing/],
  ['naming a non-checkpoint', () => writeFile(join(dir, 'latest'), 'data\n'), 'latest', /file 'latest': names "data", which is not a checkpoint's name/],
];

describe('loadCheckpoint falls back past an invalid latest to the newest checkpoint', () => {
  it.each(latestCases)('a latest file that is %s is skipped with its message', async (_, corrupt, skippedFile, message) => {
    const fingerprint = await threeCheckpoints();
    await corrupt();
    const skipped: CheckpointError[] = [];
    const loaded = await loadCheckpoint(await fileStorage(dir), { fingerprint, onSkipped: (e) => skipped.push(e) });
    expect(loaded.name).toBe(NEWEST);
    expect(skipped.map((e) => [e.file, e instanceof CheckpointError])).toEqual([[skippedFile, true]]);
    expect(skipped[0]!.message).toMatch(message);
    disposeTree(loaded.state);
  });
});

const checkpointCases: ReadonlyArray<Case> = [
  ['truncated weights.bin', () => truncate(file('weights.bin'), 10), 'weights.bin', /10 bytes, but checksums.json records \d+ \(truncated\)/],
  ['an extended weights.bin', async () => writeFile(file('weights.bin'), Buffer.concat([await readFile(file('weights.bin')), Buffer.alloc(4)])), 'weights.bin', /more than the \d+ expected/],
  ['an altered weights.bin', () => flipByte('weights.bin'), 'weights.bin', /SHA-256 .* differs .* \(the file was altered\)/],
  ['an altered checkpoint.json', () => flipByte('checkpoint.json'), 'checkpoint.json', /SHA-256 .* differs/],
  ['a missing weights.bin', () => rm(file('weights.bin')), 'weights.bin', /is missing/],
  ['a missing checkpoint.json', () => rm(file('checkpoint.json')), 'checkpoint.json', /is missing/],
  ['a missing checksums.json', () => rm(file('checksums.json')), 'checksums.json', /is missing/],
  ['an empty checksums.json', () => writeFile(file('checksums.json'), ''), 'checksums.json', /garbled JSON/],
  ['a weights.bin that is a directory', async () => (await rm(file('weights.bin')), await mkdir(file('weights.bin'))), 'weights.bin', /is not a file/],
  ['an unknown format version', async () => writeFile(file('checksums.json'), JSON.stringify({ ...(await parse('checksums.json')), formatVersion: 99 })), 'checksums.json', /unknown format version 99/],
  ['garbled checksums.json', async () => writeFile(file('checksums.json'), (await readFile(file('checksums.json'))).subarray(0, 30)), 'checksums.json', /garbled JSON/],
  ['checksums.json not UTF-8', () => writeFile(file('checksums.json'), new Uint8Array([0xff, 0xfe, 0x00])), 'checksums.json', /not UTF-8/],
  ['an unsafe name in checksums.json', async () => {
    const sums = await parse('checksums.json');
    await writeFile(file('checksums.json'), JSON.stringify({ ...sums, files: { ...(sums['files'] as object), '../../x': { bytes: 1, sha256: '0'.repeat(64) } } }));
  }, 'checksums.json', /unsafe name "\.\.\/\.\.\/x"/],
  ['checksums.json entries of the wrong types', async () => writeFile(file('checksums.json'), JSON.stringify({ ...(await parse('checksums.json')), files: { 'checkpoint.json': { bytes: '12', sha256: 7 } } })), 'checksums.json', /is not \{ bytes, sha256 \}/],
];

const stateCases: ReadonlyArray<Case> = (
  [
    ['a dtype that is not a string (an array)', (s) => (s['weightsManifest'][0].weights[0].dtype = ['float32']), /weightsManifest entry .* is not \{ name, shape, dtype/],
    ['a dtype that is a number', (s) => (s['weightsManifest'][0].weights[0].dtype = 7), /weightsManifest entry .* is not \{ name, shape, dtype/],
    ['a dtype named after an Object property', (s) => (s['weightsManifest'][0].weights[0].dtype = 'toString'), /weightsManifest entry .* is not \{ name, shape, dtype/],
    ['a shape that is not an array', (s) => (s['weightsManifest'][0].weights[0].shape = '2,3'), /weightsManifest entry .* is not \{ name, shape, dtype/],
    ['a weight name that is not a string', (s) => (s['weightsManifest'][0].weights[0].name = { w: 1 }), /weightsManifest entry .* is not \{ name, shape, dtype/],
    // Named after the one shard whose bytes do not add up.
    ['a shape too large for the bytes', (s) => (s['weightsManifest'][0].weights[0].shape = [1e9, 1e9]), /holds \d+ bytes, the weightsManifest describes/, 'weights.bin'],
    ['paths that are not an array', (s) => (s['weightsManifest'][0].paths = 'weights.bin'), /weightsManifest group is not \{ paths, weights \}/],
    ['a weightsManifest that is not an array', (s) => (s['weightsManifest'] = {}), /has no weightsManifest/],
    ['a quantized weight', (s) => (s['weightsManifest'][0].weights[0].quantization = { dtype: 'uint8' }), /is quantized/],
    ['a fingerprint param that is null', (s) => (s['fingerprint'].params.w = null), /has no fingerprint/],
    ['a fingerprint of the wrong types', (s) => (s['fingerprint'] = { params: [] }), /has no fingerprint/],
    ['a counter that is a string', (s) => (s['state'].step = '3'), /state.step is not a count/],
    ['no position', (s) => delete s['position'], /has no valid position/],
    ['a reference to a tensor the manifest lacks', (s) => (s['state'].params.w = { $tensor: 'nowhere' }), /refers to tensor "nowhere"/],
    ['a checkpoint.json that is an array', (s) => Object.assign(s, { format: [] }), /format is \[\], not "gradstream-checkpoint"/],
  ] as ReadonlyArray<readonly [string, (s: Edited) => unknown, RegExp, string?]>
).map(([what, change, message, skippedFile = 'checkpoint.json']) => [`checkpoint.json with ${what}`, () => rewriteState((s) => void change(s)), skippedFile, message] as const);

describe('loadCheckpoint falls back past an invalid checkpoint to the newest valid one', () => {
  it.each([...checkpointCases, ...stateCases])('%s is skipped with its message', async (_, corrupt, skippedFile, message) => {
    const fingerprint = await threeCheckpoints();
    await corrupt();
    const skipped: CheckpointError[] = [];
    const loaded = await loadCheckpoint(await fileStorage(dir), { fingerprint, onSkipped: (e) => skipped.push(e) });
    expect(loaded.name).toBe(VALID);
    expect(skipped.map((e) => [e.checkpoint, e.file, e instanceof CheckpointError])).toEqual([[NEWEST, skippedFile, true]]);
    expect(skipped[0]!.message).toMatch(message);
    disposeTree(loaded.state);
  });

  it('fails with a CheckpointError only when no valid checkpoint is left, after reporting each', async () => {
    const fingerprint = await threeCheckpoints();
    await writeFile(join(dir, 'latest'), 'garbage\n');
    for (const step of [1, 2, 3]) await rm(join(dir, `step-00000000${step}-00000000000${2 * step}`, 'weights.bin'));
    const skipped: CheckpointError[] = [];
    await expect(loadCheckpoint(await fileStorage(dir), { fingerprint, onSkipped: (e) => skipped.push(e) })).rejects.toThrow(/none of 3 checkpoints is valid/);
    expect(skipped.map((e) => e.file)).toEqual(['latest', 'weights.bin', 'weights.bin', 'weights.bin']);
  });
});
