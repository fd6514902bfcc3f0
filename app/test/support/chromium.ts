// Debian's Chromium, driven by playwright-core (no downloaded browsers). Without it, browser tests skip
// loudly; on CI (CI=true) a missing browser is a failure, not a skip.
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

const which = (name: string): string | undefined => {
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

/** The Chromium executable, if there is one. */
export const chromiumPath = which('chromium');

if (chromiumPath === undefined) {
  if (process.env['CI'] === 'true') throw new Error('browser tests need Chromium (apt-get install chromium); on CI it must be there');
  console.warn('\n*** SKIPPING browser tests: no `chromium` on PATH (apt-get install chromium) ***\n');
}

/** Launches headless Chromium with the flags that make it quiet and sandbox-free in a container. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath!,
    args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
