// The built `gradstream` executable with its dashboard, looked at in Chromium (npm test builds dist/ first).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import type { Browser } from 'playwright-core';
import { writeJsonl } from '../../src/monitor/writeJsonl.js';
import { writeSummary } from '../../src/monitor/writeSummary.js';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { runEvents } from '../support/events.js';
import { whenPage } from '../support/whenPage.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');

interface PageApi {
  gradstreamDashboard: { points: (dataset?: string, run?: string) => number; runs: () => { name: string; status: string; updates: number }[] };
}

/** Starts the executable and resolves with it and the dashboard's URL once printed. */
function start(...args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: (text: string) => Promise<void> }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  /** Resolves once the process has printed `text`: on its output, not on a clock. */
  const output = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const look = () => {
        if (!out.includes(text)) return;
        child.stdout!.off('data', look);
        resolve();
      };
      child.stdout!.on('data', look);
      void exited.then((code) => reject(new Error(`exited with ${code} before printing ${JSON.stringify(text)}: ${out}`)));
      look();
    });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      const url = /dashboard at (http:\/\/\S+\/)/.exec(out)?.[1];
      if (url !== undefined) resolve({ child, url, exited, output });
    });
    child.stderr!.resume();
    void exited.then((code) => reject(new Error(`exited with ${code} before printing a URL: ${out}`)));
  });
}

const api = (page: import('playwright-core').Page) => ({
  points: (run?: string) => page.evaluate((r) => (window as unknown as PageApi).gradstreamDashboard.points('updates', r), run),
  runs: () => page.evaluate(() => (window as unknown as PageApi).gradstreamDashboard.runs()),
});

describe.skipIf(chromiumPath === undefined)('gradstream with a dashboard, in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    expect(existsSync(bin), 'npm test builds dist/ before vitest runs').toBe(true);
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  // No step waits on a clock; the test's timeout is only a guard against a hang, generous for a loaded machine.
  const guard = { timeout: 600_000 };

  it('train --dashboard: the loss chart grows while the run trains, survives a reload, and ends with one point per update', guard, async () => {
    const out = mkdtempSync(join(tmpdir(), 'gs-dash-'));
    // 2 epochs × 768 examples = 2 × 96 micro-batches of 8, 2 per update: 96 updates.
    const { child, url, exited, output } = await start(
      'train', '--backend', 'cpu', '--train-size', '768', '--test-size', '64', '--epochs', '2', '--micro-batch', '8',
      '--accumulate', '2', '--out', out, '--quiet', '--dashboard', '--port', '0',
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await page.goto(url);
      const { points, runs } = api(page);
      // Counts seen while the run reports itself running: at least two different ones, in order.
      const whileRunning: number[] = [];
      await whenPage(
        page,
        async () => {
          const [n, [run]] = [await points(), await runs()];
          if (run?.status === 'running' && n > 0) whileRunning.push(n);
          return { n, status: run?.status };
        },
        ({ status }) => status === 'finished' || status === 'failed' || new Set(whileRunning).size >= 2,
      );
      expect(new Set(whileRunning).size).toBeGreaterThanOrEqual(2);
      expect(whileRunning).toEqual([...whileRunning].sort((a, b) => a - b));

      // A reload shows the history so far, then goes on.
      const before = await points();
      await page.reload();
      expect(await whenPage(page, points, (n) => n >= before)).toBeGreaterThanOrEqual(before);

      await whenPage(page, runs, ([run]) => run?.status === 'finished');
      const updates = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"kind":"update"')).length;
      expect(updates).toBe(96);
      expect(await whenPage(page, points, (n) => n === updates)).toBe(updates);
      if (process.env['GRADSTREAM_SCREENSHOT']) await page.screenshot({ path: process.env['GRADSTREAM_SCREENSHOT'], fullPage: true });
    } finally {
      await page.close();
      // The dashboard stays up after the run, once the files are written, until Ctrl-C.
      await output('the dashboard stays at');
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('gradstream dashboard over two finished runs overlays both series, with each run\'s configuration', guard, async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'gs-runs-'));
    const write = async (name: string, epochs: number, perEpoch: number, lr: number) => {
      const events = from(runEvents(epochs, perEpoch));
      await Promise.all([
        writeJsonl(events, join(runsDir, name, 'metrics.jsonl')),
        writeSummary(events, { path: join(runsDir, name, 'summary.json'), config: { optimizer: 'adam', learningRate: lr }, interrupted: () => false }),
      ]);
    };
    await write('run-a', 2, 5, 0.01);
    await write('run-b', 3, 3, 0.001);
    const a = join(runsDir, 'run-a');
    const b = join(runsDir, 'run-b');
    const { child, url, exited } = await start('dashboard', a, b, '--port', '0');
    const page = await browser.newPage();
    try {
      await page.goto(url);
      const { points, runs } = api(page);
      await whenPage(page, runs, (rs) => rs.length === 2 && rs.every((r) => r.status === 'finished'));
      expect(await whenPage(page, () => points('run-a'), (n) => n === 10)).toBe(10);
      expect(await whenPage(page, () => points('run-b'), (n) => n === 9)).toBe(9);
      // Named below the folder holding both: the page never shows where on the disk runs live.
      expect(await page.locator('.run .name').allTextContents()).toEqual(['run-a', 'run-b']);
      expect(await page.locator('#runs').textContent()).not.toContain(runsDir);
      const tables = await page.locator('.run table').allTextContents();
      expect(tables[0]).toContain('0.01');
      expect(tables[1]).toContain('0.001');
    } finally {
      await page.close();
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
