import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import type { SafetyReport } from 'gradstream/testing';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/parseCommandLine.js';
import { runVerifyModel } from '../../src/cli/runVerifyModel.js';
import type { VerifyModelConfig } from '../../src/cli/types.js';
import { saveModel } from '../support/saveModel.js';

const sink = () => {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) });
  return { stream, text: () => chunks.join('') };
};

const verify = async (modelPath: string, overrides: Partial<VerifyModelConfig> = {}) => {
  const config: VerifyModelConfig = {
    command: 'verify-model',
    modelPath,
    data: undefined,
    examples: 12,
    backend: tf.getBackend() as VerifyModelConfig['backend'],
    seed: 42,
    tolerance: 1e-3,
    ...overrides,
  };
  const [out, err] = [sink(), sink()];
  let report: SafetyReport | undefined;
  const before = tf.memory().numTensors;
  const code = await runVerifyModel(config, { stdout: out.stream, stderr: err.stream, selectBackend: async () => {}, report: (r) => (report = r) });
  expect(tf.memory().numTensors, 'verify leaves no tensor behind').toBe(before);
  return { code, report, stdout: out.text(), stderr: err.text() };
};

const mlp = () =>
  tf.sequential({
    layers: [tf.layers.dense({ name: 'hidden', inputShape: [5], units: 8, activation: 'relu' }), tf.layers.dense({ name: 'out', units: 3 })],
  });

const withBatchNorm = () =>
  tf.sequential({
    layers: [
      tf.layers.dense({ name: 'hidden', inputShape: [5], units: 8 }),
      tf.layers.batchNormalization({ name: 'hidden_bn' }),
      tf.layers.dense({ name: 'out', units: 3 }),
    ],
  });

async function saved(make: () => tf.LayersModel, edit?: (json: Record<string, unknown>) => void): Promise<string> {
  const model = make();
  try {
    return await saveModel(model, edit);
  } finally {
    model.dispose();
  }
}

describe('gradstream verify --model path/to/model.json', () => {
  it('parses a .json --model as the safety check of a saved model, with its own defaults', () => {
    const parsed = parseCommandLine(['verify', '--model', 'saved/model.json', '--data', 'x.json']);
    expect(parsed).toEqual({
      _tag: 'Right',
      right: { command: 'verify-model', modelPath: 'saved/model.json', data: 'x.json', examples: 16, backend: 'wasm', seed: 42, tolerance: 1e-3 },
    });
    expect(parseCommandLine(['verify', '--model', 'mlp', '--data', 'x.json'])).toMatchObject({ _tag: 'Left', left: { message: expect.stringMatching(/--data must be given only with --model/) } });
    expect(parseCommandLine(['verify'])).toMatchObject({ _tag: 'Right', right: { command: 'verify', tolerance: 1e-5 } });
  });

  it('exits 0 for a saved MLP, and prints SAFE', async () => {
    const { code, stdout, report } = await verify(await saved(mlp));
    expect(code).toBe(0);
    expect(report!.safe).toBe(true);
    expect(stdout).toMatch(/hidden\/kernel\s+\[5, 8\]/);
    expect(stdout).toMatch(/: SAFE to accumulate/);
  });

  it('exits 1 for a saved model with BatchNormalization, naming the layer', async () => {
    const { code, stdout } = await verify(await saved(withBatchNorm));
    expect(code).toBe(1);
    expect(stdout).toMatch(/NOT SAFE to accumulate/);
    expect(stdout).toMatch(/layer 'hidden_bn' \(BatchNormalization\)/);
  });

  it('checks the examples of --data, and exits 2 for a data file of the wrong shape', async () => {
    const modelPath = await saved(mlp);
    const data = join(dirname(modelPath), 'data.json');
    writeFileSync(data, JSON.stringify({ xs: Array.from({ length: 6 }, (_, i) => [i, 1, -1, 0.5, i / 2]) }));
    const ok = await verify(modelPath, { data });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('6 examples from data.json');
    writeFileSync(data, JSON.stringify({ xs: [[1, 2], [3, 4]] }));
    const wrong = await verify(modelPath, { data });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/xs of .*data.json has shape \[2, 2\]; the model needs \[n >= 2, 5\]/);
  });

  it('exits 2 with a clear message for a missing model file', async () => {
    const { code, stderr } = await verify('/nonexistent/model.json');
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('gradstream verify: cannot read the model file /nonexistent/model.json: no such file');
  });

  it('exits 2 with a clear message for malformed model files', async () => {
    const modelPath = await saved(mlp);
    const folder = dirname(modelPath);
    const cases: Array<[string, string | (() => Promise<string>), RegExp]> = [
      ['not JSON', '{"modelTopology": ', /is not valid JSON/],
      ['no topology', JSON.stringify({ weightsManifest: [] }), /has no modelTopology: not a tfjs Layers model.json/],
      ['a path with ..', async () => saved(mlp, (j) => ((j['weightsManifest'] as Array<{ paths: string[] }>)[0]!.paths = ['../weights.bin'])), /cannot load the model file .*: weights path "..\/weights.bin" is not a plain file name/],
      ['an absolute path', async () => saved(mlp, (j) => ((j['weightsManifest'] as Array<{ paths: string[] }>)[0]!.paths = ['/etc/passwd'])), /weights path "\/etc\/passwd" is not a plain file name/],
      [
        'a manifest that does not match the file',
        async () => saved(mlp, (j) => ((j['weightsManifest'] as Array<{ weights: Array<{ shape: number[] }> }>)[0]!.weights[0]!.shape = [5, 9000])),
        /the weights hold 300 bytes, the manifest describes \d+/,
      ],
      ['a topology tfjs cannot build', JSON.stringify({ modelTopology: { class_name: 'Nonsense', config: {} }, weightsManifest: [] }), /cannot build a Layers model from/],
    ];
    for (const [what, content, message] of cases) {
      let path = join(folder, `${what.replace(/\W+/g, '-')}.json`);
      if (typeof content === 'string') writeFileSync(path, content);
      else path = await content();
      const { code, stderr } = await verify(path);
      expect(code, what).toBe(2);
      expect(stderr, what).toMatch(message);
      expect(stderr.trim().split('\n'), what).toHaveLength(1);
    }
    const directory = join(folder, 'dir.json');
    mkdirSync(directory);
    expect((await verify(directory)).stderr).toMatch(/is not a file/);
  });
});
