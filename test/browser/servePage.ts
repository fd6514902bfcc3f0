import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A running page server: its origin (`http://127.0.0.1:<port>`) and how to stop it. */
export interface PageServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** The tfjs wasm binaries the page's `setWasmPaths('/wasm/')` asks for, by file name. */
export const wasmFiles = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

// Cross-origin isolation (window.crossOriginIsolated) needs both: it gives the page SharedArrayBuffer, which
// the threaded wasm build needs. CORP on each response lets the isolated page load it.
const isolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Serves `html` at `/`, `js` at `/page.js` and the tfjs wasm binaries under `/wasm/` on 127.0.0.1 at an
 * ephemeral port, with COOP/COEP headers. Every response comes from a fixed table read into memory before
 * listening: no part of a request's path ever reaches the file system, so no path can escape it.
 */
export async function servePage(html: string, js: string): Promise<PageServer> {
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const routes = new Map<string, { readonly type: string; readonly body: Buffer }>([
    ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(html) }],
    ['/page.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(js) }],
  ]);
  for (const file of wasmFiles) routes.set(`/wasm/${file}`, { type: 'application/wasm', body: await readFile(join(wasmDir, file)) });

  const server: Server = createServer((req, res) => {
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes.get(new URL(req.url ?? '/', 'http://x').pathname) : undefined;
    if (route === undefined) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, { 'content-type': 'text/plain', ...isolation });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length, 'cache-control': 'no-store', ...isolation });
    res.end(req.method === 'HEAD' ? undefined : route.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
