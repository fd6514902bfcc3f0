import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePage, type PageBundle } from './bundlePage.js';
import { launchChromium, type Launch } from './launchChromium.js';
import { comparedLosses, lossTolerance, pageBackends, type PageResults } from './results.js';
import { servePage, type PageServer } from './servePage.js';

// gradstream in a real browser: the library entry bundled as a user's bundler would, served with cross-origin
// isolation, trained on cpu, wasm and webgl in Debian's Chromium. Without Chromium the browser tests skip
// (with a warning) on a workstation and fail under CI=true, where .ci/run has installed it.

const pageEntry = fileURLToPath(new URL('./page.ts', import.meta.url));
const screenshotPath = fileURLToPath(new URL('../../docs/images/browser.png', import.meta.url));
const onCi = process.env['CI'] === 'true';

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gradstream in Chromium</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
  h1 { font-size: 20px; margin: 0 0 8px; }
  p { margin: 8px 0; max-width: 900px; }
  table { border-collapse: collapse; margin: 12px 0; }
  th, td { border: 1px solid #c9d1d9; padding: 6px 12px; text-align: right; font-variant-numeric: tabular-nums; }
  th { background: #f0f3f6; white-space: nowrap; } td:first-child, th:first-child { text-align: left; font-weight: 600; }
</style>
</head>
<body><script type="module" src="/page.js"></script></body>
</html>
`;

/** GETs `path` from `origin` exactly as written (no URL normalisation), for the traversal checks. */
const rawGet = (origin: string, path: string) =>
  new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
    const { hostname, port } = new URL(origin);
    request({ hostname, port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    })
      .on('error', reject)
      .end();
  });

describe('gradstream in a real browser (Chromium)', () => {
  let bundle: PageBundle;
  let server: PageServer;
  let launch: Launch;
  let results: PageResults | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const bundleStart = performance.now();
    bundle = await bundlePage(pageEntry);
    const bundleMs = performance.now() - bundleStart;
    server = await servePage(html, bundle.js);
    launch = await launchChromium();
    if (!launch.ok) {
      console.warn(`browser tests ${onCi ? 'FAIL (CI=true)' : 'skipped'}: ${launch.reason}`);
      return;
    }
    const page = await launch.browser.newPage({ viewport: { width: 1000, height: 420 } });
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => void (m.type() === 'error' && pageErrors.push(`console.error: ${m.text()}`)));
    const pageStart = performance.now();
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => 'gradstreamResults' in window, undefined, { timeout: 90_000 });
    results = await page.evaluate(() => (window as unknown as { gradstreamResults: PageResults }).gradstreamResults);
    const pageMs = performance.now() - pageStart;
    console.info(
      [
        `chromium ${launch.path}: started in ${launch.ms.toFixed(0)} ms; bundle ${(bundle.js.length / 1e6).toFixed(2)} MB in ${bundleMs.toFixed(0)} ms; page loaded and trained in ${pageMs.toFixed(0)} ms`,
        ...results.runs.map((r) => `  ${r.backend}: ${r.ms.toFixed(0)} ms (set-up ${r.setupMs.toFixed(0)} ms), losses ${r.losses.map((l) => l.toFixed(6)).join(' ')}${r.error ? `, error: ${r.error}` : ''}`),
        `  crossOriginIsolated ${results.crossOriginIsolated}; wasm threads ${results.wasmMultithread ? `on (${results.wasmThreads})` : 'off'}, SIMD ${results.wasmSimd ? 'on' : 'off'}; WebGL ${results.webglVersion} on ${results.webglRenderer}`,
      ].join('\n'),
    );
    // Only on request: the checked-in docs/images/browser.png is made with GRADSTREAM_SCREENSHOT=1.
    if (process.env['GRADSTREAM_SCREENSHOT'] === '1') await page.screenshot({ path: screenshotPath, fullPage: true });
  }, 180_000);

  afterAll(async () => {
    if (launch?.ok) await launch.browser.close();
    await server?.close();
  });

  /** The page's results, or: skip (no Chromium here) / fail (no Chromium under CI=true). */
  const pageResults = (skip: (note?: string) => never): PageResults => {
    if (!launch.ok) {
      if (onCi) throw new Error(`Chromium is required under CI=true: ${launch.reason}`);
      skip(launch.reason);
    }
    expect(results?.error, 'the page failed').toBeUndefined();
    return results!;
  };

  it('bundles the page from the library entry for the browser without any node: module', () => {
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.js).toContain('accumulationSteps'); // gradstream's train() is in it
  });

  it('(the bundle check can fail) names an import of a Node built-in and its importer', async () => {
    const bad = await bundlePage({ contents: "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n", resolveDir: '.', loader: 'ts' });
    expect(bad.nodeImports).toEqual(['node:fs from <stdin>']);
  });

  it('serves its own files with COOP/COEP headers, and nothing else', async () => {
    const own = await rawGet(server.origin, '/wasm/tfjs-backend-wasm-threaded-simd.wasm');
    expect(own.status).toBe(200);
    expect(own.headers).toMatchObject({ 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'content-type': 'application/wasm' });
    for (const path of ['/../package.json', '/wasm/../../package.json', '/wasm/%2e%2e/%2e%2e/package.json', '/wasm/..%2f..%2fpackage.json', '/page.ts', '/etc/passwd'])
      expect((await rawGet(server.origin, path)).status, path).toBe(404);
  });

  it('runs in a cross-origin isolated page, without page errors', ({ skip }) => {
    const r = pageResults(skip);
    console.info(`crossOriginIsolated: ${r.crossOriginIsolated}; wasm threads: ${r.wasmMultithread ? `on, ${r.wasmThreads}` : 'off'}`);
    expect(r.crossOriginIsolated).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it.for(pageBackends)('trains on %s: the loss falls over the updates', (backend, { skip }) => {
    const run = pageResults(skip).runs.find((r) => r.backend === backend);
    expect(run?.error).toBeUndefined();
    expect(run!.losses).toHaveLength(8);
    expect(run!.losses.at(-1)!).toBeLessThan(0.8 * run!.losses[0]!);
  });

  it.for(pageBackends.filter((b) => b !== 'cpu'))(`%s's first ${comparedLosses} losses match cpu's within ${lossTolerance}`, (backend, { skip }) => {
    const runs = pageResults(skip).runs;
    const [cpu, other] = [runs.find((r) => r.backend === 'cpu')!, runs.find((r) => r.backend === backend)!];
    expect(other.error).toBeUndefined();
    expect(other.losses.length).toBeGreaterThanOrEqual(comparedLosses);
    for (let i = 0; i < comparedLosses; i++) expect(Math.abs(other.losses[i]! - cpu.losses[i]!), `loss ${i + 1}`).toBeLessThanOrEqual(lossTolerance);
  });

  it.for(pageBackends)('leaves no tensor behind on %s', (backend, { skip }) => {
    const run = pageResults(skip).runs.find((r) => r.backend === backend)!;
    expect(run.error).toBeUndefined();
    expect(run.tensorsAfter).toBe(run.tensorsBefore);
  });
});
