import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { Subject } from 'rxjs';
import { runTrain } from '../../src/cli/runTrain.js';
import { lines, testIo } from '../support/trainIo.js';
import { tinyConfig } from '../support/tinyConfig.js';
import type { TrainConfig } from '../../src/cli/types.js';
import type { MetricEvent } from 'gradstream';
import { parseXml } from '../support/xml.js';
import { liveWorkers } from '../../../lib/node/internal/liveWorkers.js';
import { workerScript } from '../../../test/support/workerScript.js';


const readEvents = (out: string): MetricEvent[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MetricEvent);

const withoutTimes = (events: ReadonlyArray<MetricEvent>) =>
  events.map((e) =>
    e.kind === 'update' ? [e.kind, e.update, e.epoch, e.examplesSeen, e.loss, e.gradNorm, e.learningRate] : [e.kind, e.update, e.testLoss, e.testAccuracy],
  );

const tempDir = () => mkdtempSync(join(tmpdir(), 'gs-run-'));

describe('runTrain', () => {
  it('trains, and writes metrics.jsonl, summary.json and loss.svg to the run folder', async () => {
    const out = tempDir();
    const stdout = lines();
    expect(await runTrain(tinyConfig(out), testIo({ stdout: stdout.stream }))).toBe(0);

    // 64 examples in micro-batches of 16, windows of 2: 2 updates per epoch, an evaluation after each
    const events = readEvents(out);
    expect(events.map((e) => `${e.kind[0]}${e.update}`)).toEqual(['u1', 'u2', 'e2', 'u3', 'u4', 'e4']);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ config: tinyConfig(out), interrupted: false, updates: 4, examplesSeen: 128 });
    expect(summary['finalTestAccuracy']).toBeTypeOf('number');
    expect(parseXml(readFileSync(join(out, 'loss.svg'), 'utf8')).name).toBe('svg');
    expect(stdout.text()).toMatch(/^done \| 4 updates \| test accuracy [\d.]+% \|/m);
  });

  it('gives bit-identical losses and accuracies for the same seed', async () => {
    const [a, b] = [tempDir(), tempDir()];
    await runTrain(tinyConfig(a), testIo());
    await runTrain(tinyConfig(b), testIo());
    expect(withoutTimes(readEvents(a))).toEqual(withoutTimes(readEvents(b)));
  });

  it('gives the same losses and accuracies with 2 workers as on the main thread, records the count, and stops its workers', async () => {
    const [a, b] = [tempDir(), tempDir()];
    await runTrain(tinyConfig(a, { workers: 0 }), testIo());
    const before = tf.memory().numTensors;
    expect(await runTrain(tinyConfig(b, { workers: 2 }), testIo({ workerUrl: workerScript() }))).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(withoutTimes(readEvents(b))).toEqual(withoutTimes(readEvents(a)));
    const summary = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8')) as { config: TrainConfig };
    expect(summary.config.workers).toBe(2);
    await vi.waitFor(() => expect(liveWorkers()).toBe(0), { timeout: 10_000, interval: 20 });
  });

  it('leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    await runTrain(tinyConfig(tempDir()), testIo());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains the cnn on [b, 28, 28, 1] digits, leaving no tensor behind', async () => {
    const out = tempDir();
    const before = tf.memory().numTensors;
    const config = tinyConfig(out, { model: 'cnn', trainSize: 16, testSize: 8, microBatch: 8, epochs: 1 });
    expect(await runTrain(config, testIo())).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(readEvents(out).map((e) => e.kind)).toEqual(['update', 'evaluation']);
  });

  it('stops cleanly when interrupted: files closed, last parameters evaluated, summary says so', async () => {
    const out = tempDir();
    const interrupt = new Subject<void>();
    const stdout = lines((line) => line.startsWith('update 1/') && interrupt.next());
    const before = tf.memory().numTensors;
    expect(await runTrain(tinyConfig(out, { epochs: 50 }), testIo({ stdout: stdout.stream, interrupt }))).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ interrupted: true });
    expect(summary['updates']).toBeLessThan(100);
    expect(readEvents(out).at(-1)?.kind).toBe('evaluation');
    expect(stdout.text()).toMatch(/^interrupted \|/m);
  });

  it('with a dashboard: prints its URL, serves the run while it trains and after, until interrupted; no tensor left', async () => {
    const out = tempDir();
    const interrupt = new Subject<void>();
    let url: string | undefined;
    let served: Promise<unknown> | undefined;
    const stdout = lines((line) => {
      url ??= /^dashboard at (\S+)$/.exec(line)?.[1];
      // After the run: the page still answers, with every update; then Ctrl-C.
      if (line.startsWith('the dashboard stays at')) served = fetch(`${url}api/runs`).then((r) => r.json()).finally(() => interrupt.next());
    });
    const before = tf.memory().numTensors;
    expect(await runTrain(tinyConfig(out, { dashboard: true, port: 0 }), testIo({ stdout: stdout.stream, interrupt }))).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await served).toMatchObject({ runs: [{ status: 'finished', config: { dashboard: true } }] });
    await expect(fetch(url!)).rejects.toThrow(); // closed once interrupted
  });

  it('prints nothing with quiet', async () => {
    const stdout = lines();
    await runTrain(tinyConfig(tempDir(), { quiet: true, epochs: 1 }), testIo({ stdout: stdout.stream }));
    expect(stdout.text()).toBe('');
  });

  it('reports a failure in one line on stderr and returns exit code 1', async () => {
    const stderr = lines();
    expect(await runTrain(tinyConfig(tempDir(), { trainSize: 0 }), testIo({ stderr: stderr.stream }))).toBe(1);
    expect(stderr.text()).toBe('gradstream train: trainTestSplit: trainSize must be an integer >= 1, got 0\n');
  });
});
