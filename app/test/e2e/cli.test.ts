// End-to-end: spawn the built `gradstream` executable as a user would (npm test builds dist/ first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { saveModel } from '../support/saveModel.js';
import { allElements, parseXml } from '../support/xml.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');

const gradstream = (...args: string[]) => {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
};

const small = (out: string, ...extra: string[]) =>
  gradstream('train', '--backend', 'cpu', '--train-size', '256', '--test-size', '64', '--epochs', '2', '--micro-batch', '16', '--accumulate', '4', '--out', out, ...extra);

/** The schema of a metrics.jsonl row, checked field by field. */
function checkRow(row: Record<string, unknown>): void {
  const number = (key: string) => expect(typeof row[key], `${String(row['kind'])}.${key}`).toBe('number');
  expect(['update', 'evaluation']).toContain(row['kind']);
  ['update', 'epoch', 'time'].forEach(number);
  if (row['kind'] === 'update') {
    ['examplesSeen', 'loss', 'gradNorm', 'learningRate', 'msPerUpdate', 'numTensors', 'numBytes'].forEach(number);
    expect(row['examplesPerSecond'] === null || typeof row['examplesPerSecond'] === 'number').toBe(true);
    expect(Number.isFinite(row['loss'])).toBe(true);
  } else {
    ['testLoss', 'testAccuracy'].forEach(number);
    expect(row['testAccuracy']).toBeGreaterThanOrEqual(0);
    expect(row['testAccuracy']).toBeLessThanOrEqual(1);
  }
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'gs-e2e-'));
const jsonl = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the gradstream executable', () => {
  it('trains with small sizes, exits 0, and writes three files that parse', () => {
    expect(existsSync(bin), 'npm test builds dist/ before vitest runs').toBe(true);
    const out = tempDir();
    const run = small(out, '--quiet');
    // tfjs's cpu backend prints its own advice to install tfjs-node on first use; nothing else may appear.
    expect(run.stderr.replace(/\n?=+\nHi, looks like you are running TensorFlow\.js in Node\.js[^=]*=+\n?/, '').trim()).toBe('');
    expect(run.code).toBe(0);

    const rows = jsonl(out);
    rows.forEach(checkRow);
    const updates = rows.filter((r) => r['kind'] === 'update');
    // 2 epochs × 256 examples = 2 × 16 micro-batches of 16, 4 per update: 4 updates per epoch.
    expect(updates.map((r) => r['update'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.filter((r) => r['kind'] === 'evaluation').map((r) => r['epoch'])).toEqual([1, 2]);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ updates: 8, interrupted: false, config: { microBatch: 16, accumulate: 4, trainSize: 256 } });
    expect(typeof summary['finalTestAccuracy']).toBe('number');

    const source = readFileSync(join(out, 'loss.svg'), 'utf8');
    const svg = parseXml(source); // throws unless well-formed
    expect(svg.name).toBe('svg');
    expect(source).toContain('>training loss<');
    expect(source).toContain('>test accuracy<');
    // The plotted series: a loss line (one point per update), an accuracy line and its points.
    const marks = allElements(svg).map((e) => e.attributes['class'] ?? '').filter((c) => c.includes('role-mark'));
    expect(marks.filter((c) => c.startsWith('mark-line'))).toHaveLength(2);
    expect(marks.filter((c) => c.startsWith('mark-symbol'))).toHaveLength(1);
    const lossLine = allElements(svg).find((e) => (e.attributes['class'] ?? '').includes('layer_0_marks'))!;
    const path = allElements(lossLine).find((e) => e.name === 'path')!;
    // 8 updates: a move and 7 line segments.
    expect(path.attributes['d']!.match(/L/g)).toHaveLength(7);
  });

  it('gives identical loss columns for the same seed, in two processes', () => {
    const [a, b] = [tempDir(), tempDir()];
    expect(small(a, '--quiet', '--seed', '7').code).toBe(0);
    expect(small(b, '--quiet', '--seed', '7').code).toBe(0);
    const losses = (out: string) => jsonl(out).map((r) => [r['kind'], r['loss'] ?? r['testLoss'], r['gradNorm'] ?? r['testAccuracy']]);
    expect(losses(a)).toEqual(losses(b));
  });

  it('prints plain progress lines and a final line when stdout is not a terminal', () => {
    const run = small(tempDir());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/test accuracy \d+\.\d+%/);
  });

  it.each([['train'], ['verify']])('lists every option of %s with its default in --help', (command) => {
    const run = gradstream(command, '--help');
    expect(run.code).toBe(0);
    for (const option of command === 'train'
      ? ['--model', '--micro-batch', '--accumulate', '--optimizer', '--lr', '--warmup', '--clip', '--epochs', '--backend', '--seed', '--train-size', '--test-size', '--out', '--quiet']
      : ['--model', '--micro-batch', '--accumulate', '--backend', '--seed', '--tolerance'])
      expect(run.stdout).toContain(option);
    expect(run.stdout).toContain('default');
  });

  it.each([
    [['--accumulate', '0'], '--accumulate'],
    [['--lr', 'abc'], '--lr'],
    [['--model', 'transformer'], '--model'],
    [['--micro-batch', '-3'], '--micro-batch'],
    [['--bogus'], '--bogus'],
  ])('rejects %j with exit code 2 and one line naming %s', (args, option) => {
    const run = gradstream('train', ...args);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(option);
  });

  it('verify --model: a saved MLP exits 0, a saved model with BatchNormalization exits 1 naming the layer, a missing file exits 2', async () => {
    const tf = await import('@tensorflow/tfjs');
    const save = async (withBn: boolean) => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ name: 'hidden', inputShape: [4], units: 6 }),
          ...(withBn ? [tf.layers.batchNormalization({ name: 'the_bn' })] : []),
          tf.layers.dense({ name: 'out', units: 2 }),
        ],
      });
      const path = await saveModel(model);
      model.dispose();
      return path;
    };
    const safe = gradstream('verify', '--model', await save(false), '--backend', 'cpu');
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stdout).toContain('SAFE to accumulate');
    const unsafe = gradstream('verify', '--model', await save(true), '--backend', 'cpu');
    expect(unsafe.code, unsafe.stderr).toBe(1);
    expect(unsafe.stdout).toContain("layer 'the_bn' (BatchNormalization)");
    const missing = gradstream('verify', '--model', join(tempDir(), 'model.json'), '--backend', 'cpu');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gradstream verify: cannot read the model file .*model.json: no such file\n$/);
  });

  it('verifies the core claim on MNIST and exits 0', () => {
    const run = gradstream('verify', '--backend', 'cpu');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('PASS');
  });
});
