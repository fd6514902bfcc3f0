import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** Chromium started, with how long the start took; or why it could not start. */
export type Launch =
  | { readonly ok: true; readonly browser: Browser; readonly path: string; readonly ms: number }
  | { readonly ok: false; readonly reason: string };

// No sandbox: CI containers run as root, where Chromium refuses its sandbox. SwiftShader gives WebGL without a
// GPU. The rest keeps a test browser off the network.
const args = ['--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Starts the system's Chromium (the one `which chromium` finds, as Debian's `chromium` package installs it)
 * headless with playwright-core. Never downloads a browser: when there is none, says so.
 */
export async function launchChromium(): Promise<Launch> {
  let path: string;
  try {
    path = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    return { ok: false, reason: '`which chromium` found no chromium on PATH (Debian: apt-get install chromium)' };
  }
  const start = performance.now();
  try {
    const browser = await chromium.launch({ executablePath: path, headless: true, args, timeout: 30_000 });
    return { ok: true, browser, path, ms: performance.now() - start };
  } catch (e) {
    return { ok: false, reason: `${path} did not start: ${launchError(e)}` };
  }
}

/** Playwright's first line, and the browser's own last words on stderr (its `[err]` log lines). */
function launchError(e: unknown): string {
  const [first = '', ...rest] = (e instanceof Error ? e.message : String(e)).split('\n');
  const browserLog = rest.slice(0, Math.max(0, rest.findIndex((line) => line.startsWith('Call log'))));
  const stderr = browserLog.filter((line) => /^\[pid=\d+\]\[err\] /.test(line)).map((line) => line.replace(/^\[pid=\d+\]\[err\] /, ''));
  return [first, ...stderr.slice(-3)].join(' | ');
}
