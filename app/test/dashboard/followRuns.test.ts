import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { followRuns } from '../../src/dashboard/followRuns.js';
import { serveDashboard, type Dashboard } from '../../src/dashboard/serveDashboard.js';
import { runEvents } from '../support/events.js';

const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const runFolder = (dir: string, config: unknown = {}) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.jsonl'), runEvents(1, 2).map(line).join(''));
  writeFileSync(join(dir, 'summary.json'), JSON.stringify({ config }));
  return dir;
};

let dashboard: Dashboard | undefined;
afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
});

describe('followRuns', () => {
  it('names absolute run folders below the folder that holds them all', () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-runs-'));
    const runs = followRuns([runFolder(join(root, 'a')), runFolder(join(root, 'deep', 'b'))]);
    expect(runs.map((r) => r.name)).toEqual(['a', join('deep', 'b')]);
  });

  it('names a lone run folder by its own name, and a relative one likewise', () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-runs-'));
    expect(followRuns([runFolder(join(root, 'only'))]).map((r) => r.name)).toEqual(['only']);
    expect(followRuns([relative(process.cwd(), runFolder(join(root, 'rel')))]).map((r) => r.name)).toEqual(['rel']);
  });

  it('shows absolute paths of a configuration below that folder, or by their last name outside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-runs-'));
    const a = runFolder(join(root, 'a'), { out: join(root, 'a'), checkpointDir: '/somewhere/else/ck', lr: 0.1, resume: null });
    const [run] = followRuns([a, runFolder(join(root, 'b'))]);
    expect(await firstValueFrom(run!.config!)).toEqual({ out: 'a', checkpointDir: join('…', 'ck'), lr: 0.1, resume: null });
  });

  it('never shows an absolute path in the runs API, names and errors included', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gs-runs-'));
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'metrics.jsonl'), 'not json\n');
    const good = runFolder(join(root, 'good'), { out: join(root, 'good') });
    dashboard = await serveDashboard(followRuns([good, bad]));
    const done = async () => {
      const { runs } = (await (await fetch(`${dashboard!.url}api/runs`)).json()) as { runs: { status: string; config: unknown }[] };
      return runs.every((r) => r.status !== 'running') && runs[0]!.config !== null ? runs : undefined;
    };
    // The folders are read in the event loop's next turns: ask until both runs have ended.
    let runs = await done();
    while (runs === undefined) {
      await new Promise((resolve) => setImmediate(resolve));
      runs = await done();
    }
    const text = JSON.stringify(runs);
    expect(text).not.toContain(root);
    expect(runs).toMatchObject([
      { name: 'good', status: 'finished', config: { out: 'good' } },
      { name: 'bad', status: 'failed', error: expect.stringMatching(/^bad[\\/]metrics\.jsonl:1: not JSON/) },
    ]);
  });
});
