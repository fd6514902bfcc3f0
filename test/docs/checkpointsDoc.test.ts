import * as tf from '@tensorflow/tfjs';
import { build, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileModelHandler } from '../../lib/node/fileModelHandler.js';

// Every ```ts block of docs/checkpoints.md runs as pasted, imports included: bundled with the package names
// resolved to the sources, run by node in a fresh folder (its relative paths are a user's working directory).

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = await readFile(join(root, 'docs/checkpoints.md'), 'utf8');
const blocks = [...doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);

// The package's entry points, as the vitest config maps them for the examples.
const entries: Record<string, string> = { gradstream: 'lib/index.ts', 'gradstream/node': 'lib/node/index.ts', 'gradstream/testing': 'lib/testing/index.ts' };
const packageNames: Plugin = {
  name: 'gradstream',
  setup: (build) => build.onResolve({ filter: /^gradstream(\/|$)/ }, (args) => ({ path: join(root, entries[args.path] as string) })),
};

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'gradstream-doc-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** Runs block `i` in `cwd`; returns what it printed. */
async function run(i: number): Promise<string> {
  const entry = join(cwd, `block-${i}.ts`);
  await writeFile(entry, blocks[i] as string);
  // Next to node_modules, so that the peers (external) resolve as they do for a user.
  const bundle = join(root, `node_modules/.cache/gradstream-test/checkpoints-doc-${i}.mjs`);
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', external: ['@tensorflow/*', 'rxjs', 'fp-ts', 'fp-ts/*'], plugins: [packageNames], outfile: bundle, logLevel: 'error' });
  const result = spawnSync(process.execPath, [bundle], { cwd, encoding: 'utf8', timeout: 120_000 });
  expect(result.error).toBeUndefined();
  // tfjs's own banner (no tfjs-node here) aside, nothing on stderr: no warning, no skipped checkpoint.
  expect(result.stderr.replace(/\n*=+\nHi, looks like you are running TensorFlow\.js in Node\.js[^\n]*\n=+\n/, '')).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.trim();
}

describe('docs/checkpoints.md', () => {
  it('has the ts blocks this test runs: saving and resuming, and reading the weights elsewhere', () => {
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toContain("from 'gradstream/node'");
    expect(blocks[1]).toContain('useFileModels()');
  });

  it('the saving and resuming block trains and saves, and run again after a kill resumes from its checkpoint', async () => {
    expect(await run(0)).toBe('stopped at update 100');
    // Which of the every-10 saves were made depends on the disk (a newer state replaces one still waiting);
    // the first and the final one always are, and no more than keep are left.
    const dir = join(cwd, 'runs/x/checkpoints');
    const saved = (await readdir(dir)).filter((n) => n.startsWith('step-')).sort();
    expect(saved[0]).toBe('step-000000010-000000000040');
    expect(saved.at(-1)).toBe('step-000000100-000000000400');
    expect(saved.length).toBeLessThanOrEqual(3);

    // As if killed after the first save: only it is left, and latest names it.
    for (const later of saved.slice(1)) await rm(join(dir, later), { recursive: true });
    await writeFile(join(dir, 'latest'), `${saved[0]}\n`);
    expect(await run(0)).toBe('resumed from step-000000010-000000000040, stopped at update 100');
  });

  it('the block reading the weights elsewhere loads the model the CLI writes to runs/a/model', async () => {
    const layers = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    await mkdir(join(cwd, 'runs/a'), { recursive: true });
    await layers.save(fileModelHandler(join(cwd, 'runs/a/model')));
    layers.dispose();
    expect(await run(1)).toBe('[ null, 2 ]');
  });
});
