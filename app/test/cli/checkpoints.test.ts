import { mkdtempSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { runTrain } from '../../src/cli/runTrain.js';
import { lines, testIo } from '../support/trainIo.js';
import { tinyConfig } from '../support/tinyConfig.js';
import type { TrainConfig } from '../../src/cli/types.js';

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
});
