// Folders that hold what gradstream did not write: user files and folders beside the checkpoints, and
// `.tmp-*` entries of other programs in the run folder and in the checkpoint folder. After every command,
// none of it has changed (the tree is hashed before and after, gradstream's own files left out).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrain } from '../../src/cli/runTrain.js';
import { runVerifyModel } from '../../src/cli/runVerifyModel.js';
import { lines, testIo } from '../support/trainIo.js';
import { tinyConfig } from '../support/tinyConfig.js';
import { treeHash } from '../support/treeHash.js';
import type { TrainConfig } from '../../src/cli/types.js';

/** What gradstream writes in a run folder and a checkpoint folder; everything else is someone else's. */
const ours = (path: string): boolean =>
  /^(metrics\.jsonl|summary\.json|loss\.svg|model|checkpoints)(\/|$)/.test(path) && !/^checkpoints\/(?!step-|latest$)/.test(path);
const oursIn = (prefix: string) => (path: string): boolean => ours(path) || new RegExp(`^${prefix}(step-|latest$)`).test(path);

/** A run folder with someone else's files in it and in its checkpoint folder. */
function hostile(checkpoints: string): string {
  const out = mkdtempSync(join(tmpdir(), 'gs-hostile-'));
  const put = (path: string, text: string) => {
    mkdirSync(join(out, path, '..'), { recursive: true });
    writeFileSync(join(out, path), text);
  };
  put('data/precious.txt', 'the user\'s data');
  put('notes.md', 'the user\'s notes');
  put('.tmp-editor-swap/buffer', 'another program\'s temporary folder');
  put('.tmp-download', 'another program\'s temporary file');
  put(`${checkpoints}readme.txt`, 'the user\'s note among checkpoints');
  put(`${checkpoints}old-run/weights.bin`, 'a folder the user keeps there');
  put(`${checkpoints}.tmp-sync-123/state`, 'a sync tool\'s temporary folder');
  return out;
}

const cases: ReadonlyArray<[string, string, (out: string) => Partial<TrainConfig>]> = [
  ['checkpoints in <out>/checkpoints', 'checkpoints/', (out) => ({ checkpointDir: join(out, 'checkpoints') })],
  ['checkpoints in <out> itself (--checkpoint-dir D --out D)', '', (out) => ({ checkpointDir: out })],
];

describe('gradstream train in folders holding what it did not write', () => {
  describe.each(cases)('%s', (_name, prefix, where) => {
    // Windows of 2 micro-batches over 64 digits, a checkpoint after each update: pruning (keep 3) runs.
    const config = (out: string, overrides: Partial<TrainConfig> = {}) => tinyConfig(out, { checkpointEvery: 1, epochs: 1, ...where(out), ...overrides });
    const theirs = (out: string) => treeHash(out, (path) => !oursIn(prefix)(path));

    it('train leaves them as they were', async () => {
      const out = hostile(prefix);
      const before = theirs(out);
      expect(await runTrain(config(out), testIo())).toBe(0);
      expect(theirs(out)).toEqual(before);
    });

    it('train --resume latest, with more epochs (checkpoints pruned), leaves them as they were', async () => {
      const out = hostile(prefix);
      expect(await runTrain(config(out), testIo())).toBe(0);
      const before = theirs(out);
      expect(await runTrain(config(out, { epochs: 3, resume: 'latest' }), testIo())).toBe(0);
      expect(theirs(out)).toEqual(before);
    });

    it('train --resume <checkpoint directory> leaves them as they were', async () => {
      const out = hostile(prefix);
      expect(await runTrain(config(out), testIo())).toBe(0);
      const before = theirs(out);
      const folder = where(out).checkpointDir!;
      const latest = join(folder, readFileSync(join(folder, 'latest'), 'utf8').trim());
      expect(await runTrain(config(out, { epochs: 2, resume: latest }), testIo())).toBe(0);
      expect(theirs(out)).toEqual(before);
    });

    it('train --resume <a user folder> is refused and leaves them as they were', async () => {
      const out = hostile(prefix);
      const before = treeHash(out);
      const stderr = lines();
      expect(await runTrain(config(out, { resume: join(out, 'data') }), testIo({ stderr: stderr.stream }))).toBe(1);
      expect(stderr.text()).toContain(`checkpoint '${join(out, 'data')}': is not a checkpoint`);
      expect(treeHash(out)).toEqual(before);
    });

    it('verify --model on the run\'s model leaves them as they were', async () => {
      const out = hostile(prefix);
      expect(await runTrain(config(out), testIo())).toBe(0);
      const before = treeHash(out);
      const code = await runVerifyModel(
        { command: 'verify-model', modelPath: join(out, 'model', 'model.json'), data: undefined, examples: 8, backend: 'cpu', seed: 1, tolerance: 1e-4 },
        { stdout: lines().stream, stderr: lines().stream, selectBackend: async () => undefined },
      );
      expect(code).toBe(0);
      expect(treeHash(out)).toEqual(before);
    });
  });
});
