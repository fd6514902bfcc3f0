import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { runTrain } from '../../src/cli/runTrain.js';
import { lines, testIo } from '../support/trainIo.js';
import { tinyConfig } from '../support/tinyConfig.js';
import type { TrainConfig } from '../../src/cli/types.js';
import { treeHash } from '../support/treeHash.js';

// Windows of 3 micro-batches over 96 digits, a checkpoint after every update, no warm-up.
const tiny = (out: string, overrides: Partial<TrainConfig> = {}): TrainConfig =>
  tinyConfig(out, { accumulate: 3, warmup: 0, trainSize: 96, testSize: 16, checkpointEvery: 1, ...overrides });

const tempDir = () => mkdtempSync(join(tmpdir(), 'gs-ckpt-'));
const weights = (out: string) => readFileSync(join(out, 'model', 'weights.bin'));
const summaryOf = (out: string) => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { config: { resumedFrom: string | null }; interrupted: boolean };

describe('gradstream train with checkpoints', () => {
  it('interrupted in the middle of a window, then resumed from latest: the final model is bit-identical to an uninterrupted run', async () => {
    const reference = tempDir();
    expect(await runTrain(tiny(reference), testIo())).toBe(0);

    const out = tempDir();
    const interrupt = new Subject<void>();
    // Interrupt as a signal would: between batches, just after the first update (micro-batch 4 of 12 is next).
    const stdout = lines((line) => line.startsWith('update 1/') && setTimeout(() => interrupt.next(), 0));
    expect(await runTrain(tiny(out), testIo({ stdout: stdout.stream, interrupt }))).toBe(0);
    expect(summaryOf(out).interrupted).toBe(true);
    const latest = readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim();
    const before = tf.memory().numTensors;

    expect(await runTrain(tiny(out, { resume: 'latest' }), testIo())).toBe(0);

    expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
    expect(summaryOf(out).config.resumedFrom).toBe(join(out, 'checkpoints', latest));
    expect(Buffer.compare(weights(out), weights(reference))).toBe(0);
  });

  it('--resume latest skips a corrupt newest checkpoint, says so on stderr, and resumes from the previous one', async () => {
    const out = tempDir();
    // 2 epochs of 2 updates, a checkpoint after each: the newest 3 are kept, the last at update 4.
    expect(await runTrain(tiny(out), testIo())).toBe(0);
    const dir = join(out, 'checkpoints');
    const names = readdirSync(dir).filter((n) => n.startsWith('step-')).sort();
    expect(names.length).toBeGreaterThanOrEqual(2);
    truncateSync(join(dir, names.at(-1)!, 'weights.bin'), 10);
    const stderr = lines();

    expect(await runTrain(tiny(out, { resume: 'latest' }), testIo({ stderr: stderr.stream }))).toBe(0);

    expect(stderr.text()).toContain(`skipping invalid checkpoint: checkpoint '${names.at(-1)}', file 'weights.bin'`);
    expect(stderr.text()).toContain(`resuming from ${names.at(-2)}, the newest valid checkpoint`);
    expect(summaryOf(out).config.resumedFrom).toBe(join(dir, names.at(-2)!));
  });

  it('--resume latest exits with 1 when no checkpoint is valid', async () => {
    const out = tempDir();
    const stderr = lines();
    expect(await runTrain(tiny(out, { resume: 'latest' }), testIo({ stderr: stderr.stream }))).toBe(1);
    expect(stderr.text()).toMatch(/gradstream train: checkpoint: no checkpoint found/);
  });

  it('refuses to resume with another accumulation or seed, naming the field', async () => {
    const out = tempDir();
    expect(await runTrain(tiny(out, { epochs: 1 }), testIo())).toBe(0);
    const stderr = lines();
    expect(await runTrain(tiny(out, { resume: 'latest', accumulate: 2 }), testIo({ stderr: stderr.stream }))).toBe(1);
    expect(stderr.text()).toContain('accumulationSteps: saved 3, now 2');
    const again = lines();
    expect(await runTrain(tiny(out, { resume: 'latest', seed: 6 }), testIo({ stderr: again.stream }))).toBe(1);
    expect(again.text()).toContain('was saved with --seed 5, not 6');
  });

  const updates = (out: string) =>
    readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((e) => [e['kind'], e['update'], e['loss'] ?? e['testLoss'], e['testAccuracy'] ?? e['gradNorm']]);
  /** Runs once, interrupted (as a signal would, between batches) at its first update line. */
  const interruptedRun = async (config: TrainConfig) => {
    const interrupt = new Subject<void>();
    const stdout = lines((line) => line.startsWith('update ') && setTimeout(() => interrupt.next(), 0));
    expect(await runTrain(config, testIo({ stdout: stdout.stream, interrupt }))).toBe(0);
  };

  it('a run interrupted twice and resumed into the same --out has the metrics and final accuracy of an uninterrupted run', async () => {
    const reference = tempDir();
    expect(await runTrain(tiny(reference, { epochs: 3 }), testIo())).toBe(0);
    const out = tempDir();

    await interruptedRun(tiny(out, { epochs: 3 }));
    await interruptedRun(tiny(out, { epochs: 3, resume: 'latest' }));
    expect(await runTrain(tiny(out, { epochs: 3, resume: 'latest' }), testIo())).toBe(0);

    expect(updates(out)).toEqual(updates(reference));
    const [whole, resumed] = [summaryOf(reference), summaryOf(out)] as unknown as Array<Record<string, number>>;
    expect(resumed).toMatchObject({ updates: whole!['updates'], examplesSeen: whole!['examplesSeen'], finalTestAccuracy: whole!['finalTestAccuracy'] });
    expect(resumed!['examplesPerSecond']).toBeCloseTo((resumed!['examplesSeen']! * 1000) / resumed!['trainingTimeMs']!, 6);
  });

  it('resuming a run that has finished says so, exits 0, and changes nothing in its folder', async () => {
    const out = tempDir();
    expect(await runTrain(tiny(out, { epochs: 1 }), testIo())).toBe(0);
    const before = treeHash(out);
    const stdout = lines();

    expect(await runTrain(tiny(out, { epochs: 1, resume: 'latest' }), testIo({ stdout: stdout.stream }))).toBe(0);

    expect(stdout.text()).toMatch(/^the run already finished: checkpoint step-\S+ holds all 1 epochs; nothing changed$/m);
    expect(treeHash(out)).toEqual(before);
  });

  it('resuming a run killed after its last checkpoint but before its summary trains nothing and writes its files', async () => {
    const out = tempDir();
    expect(await runTrain(tiny(out, { epochs: 1 }), testIo())).toBe(0);
    const [metrics, model] = [readFileSync(join(out, 'metrics.jsonl'), 'utf8'), weights(out)];
    rmSync(join(out, 'summary.json'));
    rmSync(join(out, 'model'), { recursive: true });

    expect(await runTrain(tiny(out, { epochs: 1, resume: 'latest' }), testIo())).toBe(0);

    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    expect(Buffer.compare(weights(out), model)).toBe(0);
    expect(summaryOf(out)).toMatchObject({ interrupted: false, updates: 2 });
  });

  it('resumed with --out elsewhere, starts a new folder that records the checkpoint it resumed from', async () => {
    const first = tempDir();
    await interruptedRun(tiny(first, { epochs: 3 }));
    const resumedAt = (JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8')) as { updates: number }).updates;
    const latest = join(first, 'checkpoints', readFileSync(join(first, 'checkpoints', 'latest'), 'utf8').trim());
    const out = tempDir();

    expect(await runTrain(tiny(out, { epochs: 3, resume: latest }), testIo())).toBe(0);

    expect(summaryOf(out).config.resumedFrom).toBe(latest);
    expect(updates(out)[0]?.[1]).toBe(resumedAt + 1);
  });

  it.each([
    ['a folder of user files', (d: string) => (mkdirSync(join(d, 'data')), writeFileSync(join(d, 'data', 'precious.txt'), 'mine'), join(d, 'data')), 'is not a checkpoint: it holds no checkpoint.json'],
    ['a path that does not exist', (d: string) => join(d, 'nothing-here'), 'does not exist'],
    ['a file', (d: string) => (writeFileSync(join(d, 'notes.txt'), 'mine'), join(d, 'notes.txt')), 'is not a directory'],
  ])('--resume with %s is refused naming the path, exit 1, before anything is opened or touched', async (_what, make, problem) => {
    const parent = tempDir();
    const path = make(parent);
    mkdirSync(join(parent, '.tmp-other-program'));
    writeFileSync(join(parent, '.tmp-other-program', 'state'), 'theirs');
    const out = tempDir();
    const [before, outBefore] = [treeHash(parent), treeHash(out)];
    const stderr = lines();

    expect(await runTrain(tiny(out, { resume: path }), testIo({ stderr: stderr.stream }))).toBe(1);

    expect(stderr.text()).toBe(`gradstream train: checkpoint '${path}': ${problem}; --resume takes a checkpoint directory (or latest)\n`);
    expect(treeHash(parent)).toEqual(before);
    expect(treeHash(out)).toEqual(outBefore);
  });

  it('--resume with a checkpoint directory outside a checkpoint folder (no latest beside it) is refused, exit 1', async () => {
    const out = tempDir();
    expect(await runTrain(tiny(out, { epochs: 1 }), testIo())).toBe(0);
    const loose = tempDir();
    const name = readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim();
    mkdirSync(join(loose, name));
    for (const f of ['checkpoint.json', 'checksums.json']) writeFileSync(join(loose, name, f), readFileSync(join(out, 'checkpoints', name, f)));
    const stderr = lines();
    expect(await runTrain(tiny(tempDir(), { resume: join(loose, name) }), testIo({ stderr: stderr.stream }))).toBe(1);
    expect(stderr.text()).toContain(`is not in a checkpoint folder: ${loose} holds no latest file`);
  });

  it('--resume latest with a missing --checkpoint-dir exits 1 and does not create it', async () => {
    const out = tempDir();
    const stderr = lines();
    expect(await runTrain(tiny(out, { resume: 'latest', checkpointDir: join(out, 'nowhere') }), testIo({ stderr: stderr.stream }))).toBe(1);
    expect(stderr.text()).toMatch(/^gradstream train: checkpoint: no checkpoint found/);
    expect(readdirSync(out)).toEqual([]);
  });

  // Every kind of invalid candidate: one CheckpointError line each, then the newest valid one, or exit 1.
  const spoilers: ReadonlyArray<[string, (dir: string, name: string) => void]> = [
    ['a truncated weights.bin', (dir, name) => truncateSync(join(dir, name, 'weights.bin'), 10)],
    ['a garbled checkpoint.json', (dir, name) => writeFileSync(join(dir, name, 'checkpoint.json'), '{ not json')],
    ['no checksums.json', (dir, name) => writeFileSync(join(dir, name, 'checksums.json'), '')],
  ];
  const latestSpoilers: ReadonlyArray<[string, string]> = [
    ['a latest naming a missing checkpoint', 'step-999999999-999999999999\n'],
    ['a latest naming an unsafe path', '../../elsewhere\n'],
    ['an empty latest', ''],
  ];

  it.each(latestSpoilers)('--resume latest falls back past %s, with one line on stderr for it', async (_what, text) => {
    const out = tempDir();
    expect(await runTrain(tiny(out), testIo())).toBe(0);
    const dir = join(out, 'checkpoints');
    writeFileSync(join(dir, 'latest'), text);
    const newest = readdirSync(dir).filter((n) => n.startsWith('step-')).sort().at(-1)!;
    const stderr = lines();
    expect(await runTrain(tiny(out, { resume: 'latest', epochs: 3 }), testIo({ stderr: stderr.stream }))).toBe(0);
    expect(stderr.text().split('\n').filter((l) => l.includes('skipping invalid checkpoint'))).toHaveLength(1);
    expect(summaryOf(out).config.resumedFrom).toBe(join(dir, newest));
  });

  it('--resume latest with every candidate invalid reports each one and exits 1', async () => {
    const out = tempDir();
    expect(await runTrain(tiny(out), testIo())).toBe(0);
    const dir = join(out, 'checkpoints');
    const names = readdirSync(dir).filter((n) => n.startsWith('step-')).sort();
    expect(names).toHaveLength(spoilers.length);
    names.forEach((name, i) => spoilers[i]![1](dir, name));
    const stderr = lines();

    expect(await runTrain(tiny(out, { resume: 'latest', epochs: 3 }), testIo({ stderr: stderr.stream }))).toBe(1);

    const said = stderr.text().split('\n').filter(Boolean);
    for (const name of names) expect(said.filter((l) => l.startsWith(`gradstream train: skipping invalid checkpoint: checkpoint '${name}'`))).toHaveLength(1);
    expect(said.at(-1)).toMatch(/^gradstream train: checkpoint: none of 3 checkpoints is valid/);
  });
});
