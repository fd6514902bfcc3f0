// What the dashboard answers to which request: its own few paths, exactly, and nothing else.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartAxes, type ChartAxis } from '../chartRows.js';
import { isLoopbackHost } from './loopback.js';
import { describeRun, type RunState } from './runHistory.js';
import { notFound, send } from './send.js';
import { openStream, type Client } from './ssePump.js';

/** The page's own files, beside the app's sources and build (app/assets), and Vega's browser build. */
const assetDir = fileURLToPath(new URL('../../../assets/dashboard/', import.meta.url));
const vegaBuild = join(dirname(createRequire(import.meta.url).resolve('vega')), 'vega.min.js');
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: join(assetDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: join(assetDir, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: join(assetDir, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/vendor/vega.min.js': { file: vegaBuild, type: 'text/javascript; charset=utf-8' },
};

/** What a request handler reads of the server. */
export interface Served {
  readonly runs: ReadonlyArray<RunState>;
  readonly clients: Set<Client>;
  readonly charts: (x: ChartAxis) => string;
  /** The server is bound to a loopback address: only requests naming this machine are answered. */
  readonly loopbackOnly: () => boolean;
}

/** Answers one request. */
export async function route(served: Served, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const head = request.method === 'HEAD';
  if (request.method !== 'GET' && !head) return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
  // Behind a loopback address, refuse pages of other sites that point a name at 127.0.0.1 (DNS rebinding).
  if (served.loopbackOnly() && !isLoopbackHost(request.headers.host)) return notFound(response, head);
  // The raw path must be one of ours, exactly: no normalisation, so no `..` or `%2e%2e` can reach a file.
  const raw = request.url ?? '';
  const query = raw.indexOf('?');
  const path = query < 0 ? raw : raw.slice(0, query);
  const params = new URLSearchParams(query < 0 ? '' : raw.slice(query + 1));
  const asset = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined;
  if (asset !== undefined) return send(response, 200, asset.type, await readFile(asset.file), head);
  if (path === '/api/runs') return send(response, 200, 'application/json', JSON.stringify({ runs: served.runs.map(describeRun) }), head);
  if (path === '/api/charts') {
    const x = params.get('x') ?? 'update';
    if (!(chartAxes as ReadonlyArray<string>).includes(x)) return notFound(response, head);
    return send(response, 200, 'application/json', served.charts(x as ChartAxis), head);
  }
  if (path === '/api/events' && !head) return openStream(served.runs, served.clients, request, response);
  return notFound(response, head);
}
