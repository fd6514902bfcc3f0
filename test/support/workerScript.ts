import { buildSync } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

let built: URL | undefined;

/**
 * The pool's worker script, bundled from lib/node/worker.ts for tests that run on the sources (the
 * library's build puts dist/node/worker.js next to workerPool.js instead). tfjs stays external, so the
 * worker loads the same packages as the main thread. Built once per test process.
 */
export function workerScript(): URL {
  if (built) return built;
  const outfile = fileURLToPath(new URL('../../node_modules/.cache/gradstream-test/worker.mjs', import.meta.url));
  buildSync({
    entryPoints: [fileURLToPath(new URL('../../lib/node/worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['@tensorflow/*'],
    outfile,
    logLevel: 'silent',
  });
  built = pathToFileURL(outfile);
  return built;
}
