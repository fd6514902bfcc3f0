import * as tf from '@tensorflow/tfjs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { VerifyConfig } from '../../src/cli/types.js';
import { runVerify } from '../../src/cli/runVerify.js';
import type { VerifyReport } from '../../src/cli/verifyAccumulation.js';

const sink = () => {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) });
  return { stream, text: () => chunks.join('') };
};

const verify = async (overrides: Partial<VerifyConfig>) => {
  const config: VerifyConfig = {
    command: 'verify',
    model: 'mlp',
    microBatch: 32,
    accumulate: 8,
    backend: tf.getBackend() as VerifyConfig['backend'],
    seed: 42,
    tolerance: 1e-5,
    ...overrides,
  };
  const out = sink();
  let report: VerifyReport | undefined;
  const before = tf.memory().numTensors;
  const code = await runVerify(config, { stdout: out.stream, selectBackend: async () => {}, report: (r) => (report = r) });
  expect(tf.memory().numTensors, 'verify leaves no tensor behind').toBe(before);
  return { code, report: report!, text: out.text() };
};

describe('gradstream verify', () => {
  it('passes on MNIST: uneven micro-batches give the full batch\'s update within 1e-5, and a mean of means would not', async () => {
    const { code, report, text } = await verify({});
    expect(code).toBe(0);
    expect(new Set(report.sizes).size).toBeGreaterThan(1);
    expect(report.sizes.reduce((a, b) => a + b, 0)).toBe(256);
    expect(report.worst).toBeLessThanOrEqual(1e-5);
    expect(text).toMatch(/model check \(gradstream\/testing checkAccumulationSafety\): largest gradient difference \S+, safe to accumulate/);
    // The common bug fails the same check, by orders of magnitude.
    expect(report.worstMeanOfMeans).toBeGreaterThan(1e-3);
    expect(report.rows.map((r) => r.param)).toEqual(['hidden/kernel', 'hidden/bias', 'logits/kernel', 'logits/bias']);
    expect(text).toContain('PASS');
    expect(text).toMatch(/hidden\/kernel\s+\[784, 128\]/);
  });

  it('fails, with exit code 1, when the tolerance is below what float32 can give', async () => {
    const { code, text } = await verify({ tolerance: 1e-12 });
    expect(code).toBe(1);
    expect(text).toContain('FAIL');
  });

  it('passes for the CNN too', async (ctx) => {
    if (tf.getBackend() === 'wasm' && !tf.getKernel('Conv2DBackpropFilter', 'wasm')) return ctx.skip('no Conv2DBackpropFilter kernel on wasm');
    const { code, report } = await verify({ model: 'cnn', microBatch: 4, accumulate: 3 });
    expect(code).toBe(0);
    expect(report.worst).toBeLessThanOrEqual(1e-5);
  });
});
