import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { of, type Observable, type Subscription } from 'rxjs';
import { compile } from 'vega-lite';
import { ConfigError, type MetricEvent } from 'gradstream';
import { getOrThrow, integerAtLeast } from '../internal/validate.js';
import { lossChartSpec } from '../monitor/lossChartSpec.js';
import { chartAxes, chartRows, type ChartAxis } from './chartRows.js';
import { metricCharts, metricChartSpec } from './metricChartSpec.js';

/** One run a dashboard shows: its name, its metric events, and its configuration once known. */
export interface DashboardRun {
  /** Shown in the page as text (never as markup) and in the legends. */
  readonly name: string;
  /** The run's events, in order; the dashboard subscribes once, at once, and never slows them. */
  readonly events: Observable<MetricEvent>;
  /** The run's configuration, shown as a table; each emission replaces the last. */
  readonly config?: Observable<unknown>;
}

/** Options of {@link serveDashboard}. */
export interface ServeDashboardOptions {
  /** TCP port, 0 for any free one. Default 0. */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`: only this machine can connect. */
  readonly host?: string;
  /** The run's name, when a single event stream is given. Default `run`. */
  readonly name?: string;
  /** The run's configuration, when a single event stream is given. */
  readonly config?: unknown;
}

/** A connected page, as the server sees it. */
export interface DashboardClient {
  /** Bytes written for this page and not yet taken by its socket: what a page that stops reading costs. */
  readonly queuedBytes: number;
  /** Rows sent to this page so far. */
  readonly sentRows: number;
}

/** A running dashboard server. */
export interface Dashboard {
  /** The page's address, e.g. `http://127.0.0.1:6006/`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The pages connected to the live stream now. */
  clients(): ReadonlyArray<DashboardClient>;
  /** Stops serving: unsubscribes from the runs, drops every page, closes the port. */
  close(): Promise<void>;
}

const FN = 'serveDashboard';
/** A page is sent at most this many bytes of rows per message; with the socket's own buffer, the bound of what waits for it. */
const MESSAGE_BYTES = 64 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const validate = (o: ServeDashboardOptions) =>
  pipe(
    E.Do,
    E.bind('port', () =>
      pipe(
        integerAtLeast(FN, 'port', 0)(o.port ?? 0),
        E.filterOrElse(
          (p) => p <= 65535,
          (p) => new ConfigError(FN, 'port', p, 'an integer from 0 to 65535'),
        ),
      ),
    ),
    E.bind('host', () =>
      typeof (o.host ?? '127.0.0.1') === 'string' && (o.host ?? '127.0.0.1') !== ''
        ? E.right(o.host ?? '127.0.0.1')
        : E.left(new ConfigError(FN, 'host', o.host, 'a non-empty host name or address')),
    ),
  );

/** The page's own files, beside the app's sources and build (app/assets), and Vega's browser build. */
const assetDir = fileURLToPath(new URL('../../assets/dashboard/', import.meta.url));
const vegaBuild = join(dirname(createRequire(import.meta.url).resolve('vega')), 'vega.min.js');
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: join(assetDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: join(assetDir, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: join(assetDir, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/vendor/vega.min.js': { file: vegaBuild, type: 'text/javascript; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Vega compiles its expressions with Function(): 'unsafe-eval' for scripts from this server only; no
  // inline script can run, so text that slipped into the page as markup still could not execute.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
} as const;

interface RunState {
  readonly name: string;
  /** Every row so far, serialised once: the history a late page is sent, shared by every page. */
  readonly rows: string[];
  status: 'running' | 'finished' | 'failed';
  error: string | undefined;
  config: unknown;
  /** Bumped whenever status or config change, so each page is sent the news once. */
  version: number;
}

interface Client {
  readonly response: ServerResponse;
  /** Per run: rows sent so far (an index into the run's history), and the run version sent. */
  readonly cursors: number[];
  readonly versions: number[];
  waiting: boolean;
  sentRows: number;
}

/**
 * Serves a live dashboard of metric events: a page, on 127.0.0.1 unless told otherwise, that charts
 * training loss (with a smoothing slider), test accuracy and loss, gradient norm, learning rate,
 * examples per second, live tensors and bytes, and skipped micro-batches, over updates, examples or
 * wall time. A consumer of the metric events like the others: give it the run's shared `metrics()`
 * stream, or several named runs to overlay. A page opened late, or reloaded, is sent the whole history
 * and then goes on live (Server-Sent Events).
 *
 * Viewers never slow training: each event is serialised once into the run's history (a few hundred
 * bytes per update), and each page keeps only a cursor into it. A page is written to while its socket
 * takes data; when the socket's buffer is full the page waits, holding nothing, and catches up from its
 * cursor when the socket drains. What waits for a page is thus bounded by the socket's buffer and one
 * message ({@link DashboardClient.queuedBytes}), however slow or gone the browser is, and the event
 * stream is never back-pressured. An error in a run's events is shown on the page; it does not stop
 * the server. The page is served from this process only: no CDN, no network.
 *
 * ## Example
 * ```ts
 * const events$ = batches$.pipe(train({ model, loss, optimizer }), metrics({ evaluate }), share());
 * const dashboard = await serveDashboard(events$, { port: 6006, name: 'mlp-adam', config });
 * console.log(`dashboard at ${dashboard.url}`);
 * await lastValueFrom(events$);
 * await dashboard.close();
 * ```
 *
 * @param source one run's metric events, or several runs to compare
 * @param options port, host, and the single run's name and configuration
 * @returns a Promise of the running server, once it listens; rejected if the port cannot be bound
 * @throws ConfigError synchronously for an invalid option
 */
export function serveDashboard(
  source: Observable<MetricEvent> | ReadonlyArray<DashboardRun>,
  options: ServeDashboardOptions = {},
): Promise<Dashboard> {
  const { port, host } = getOrThrow(validate(options));
  const given: ReadonlyArray<DashboardRun> = Array.isArray(source)
    ? (source as ReadonlyArray<DashboardRun>)
    : [
        {
          name: options.name ?? 'run',
          events: source as Observable<MetricEvent>,
          ...(options.config === undefined ? {} : { config: of(options.config) }),
        },
      ];
  const names = given.map((r) => r.name);
  const runs: RunState[] = given.map((r) => ({ name: r.name, rows: [], status: 'running', error: undefined, config: null, version: 0 }));
  const clients = new Set<Client>();
  const subscriptions: Subscription[] = [];
  let flushScheduled = false;

  const message = (event: string, data: string): string => `event: ${event}\ndata: ${data}\n\n`;

  /** The next message a page is owed: rows first, in bounded slices, then run news. */
  const nextMessage = (client: Client): string | undefined => {
    for (const [i, run] of runs.entries()) {
      const from = client.cursors[i]!;
      if (from < run.rows.length) {
        let end = from;
        let bytes = 0;
        while (end < run.rows.length && (end === from || bytes + run.rows[end]!.length <= MESSAGE_BYTES)) bytes += run.rows[end++]!.length + 1;
        client.cursors[i] = end;
        client.sentRows += end - from;
        return message('rows', `{"run":${i},"from":${from},"rows":[${run.rows.slice(from, end).join(',')}]}`);
      }
    }
    for (const [i, run] of runs.entries()) {
      if (client.versions[i] !== run.version) {
        client.versions[i] = run.version;
        return message('run', JSON.stringify({ run: i, ...describe(run) }));
      }
    }
    return undefined;
  };

  const pump = (client: Client): void => {
    while (!client.waiting && !client.response.destroyed) {
      const next = nextMessage(client);
      if (next === undefined) return;
      // false: the socket's buffer is full. Stop here; 'drain' resumes from the cursors.
      if (!client.response.write(next)) client.waiting = true;
    }
  };

  const scheduleFlush = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      clients.forEach(pump);
    });
  };

  given.forEach((run, i) => {
    const state = runs[i]!;
    const row = chartRows(run.name);
    subscriptions.push(
      run.events.subscribe({
        next: (event) => {
          state.rows.push(JSON.stringify(row(event)));
          scheduleFlush();
        },
        error: (error: unknown) => {
          state.status = 'failed';
          state.error = error instanceof Error ? error.message : String(error);
          state.version++;
          scheduleFlush();
        },
        complete: () => {
          state.status = 'finished';
          state.version++;
          scheduleFlush();
        },
      }),
    );
    if (run.config !== undefined) {
      subscriptions.push(
        run.config.subscribe({
          next: (config) => {
            state.config = config;
            state.version++;
            scheduleFlush();
          },
          error: () => undefined,
        }),
      );
    }
  });

  const charts = new Map<ChartAxis, string>();
  const chartsFor = (x: ChartAxis): string => {
    const cached = charts.get(x);
    if (cached !== undefined) return cached;
    const json = JSON.stringify({
      loss: compile(lossChartSpec([], { x, runs: names, smoothed: true })).spec,
      metrics: metricCharts.map((chart) => ({ ...chart, spec: compile(metricChartSpec(chart, { x, runs: names })).spec })),
    });
    charts.set(x, json);
    return json;
  };

  // Compiled now, before the run starts: a page's first request would otherwise stall training while it compiles.
  chartsFor('update');

  const send = (response: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void => {
    response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
    response.end(head ? undefined : body);
  };
  const notFound = (response: ServerResponse, head: boolean) => send(response, 404, 'text/plain; charset=utf-8', 'not found\n', head);

  const openStream = (request: IncomingMessage, response: ServerResponse): void => {
    request.socket.setNoDelay(true);
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    response.write('retry: 1000\n\n');
    const client: Client = { response, cursors: runs.map(() => 0), versions: runs.map(() => -1), waiting: false, sentRows: 0 };
    clients.add(client);
    response.on('drain', () => {
      client.waiting = false;
      pump(client);
    });
    response.on('close', () => clients.delete(client));
    pump(client);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const head = request.method === 'HEAD';
    if (request.method !== 'GET' && !head) return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    // Behind a loopback address, refuse pages of other sites that point a name at 127.0.0.1 (DNS rebinding).
    const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (LOOPBACK_HOSTS.has(host) && !LOOPBACK_HOSTS.has(hostHeader)) return notFound(response, head);
    // The raw path must be one of ours, exactly: no normalisation, so no `..` or `%2e%2e` can reach a file.
    const raw = request.url ?? '';
    const query = raw.indexOf('?');
    const path = query < 0 ? raw : raw.slice(0, query);
    const params = new URLSearchParams(query < 0 ? '' : raw.slice(query + 1));
    const asset = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined;
    if (asset !== undefined) return send(response, 200, asset.type, await readFile(asset.file), head);
    if (path === '/api/runs') return send(response, 200, 'application/json', JSON.stringify({ runs: runs.map(describe) }), head);
    if (path === '/api/charts') {
      const x = params.get('x') ?? 'update';
      if (!(chartAxes as ReadonlyArray<string>).includes(x)) return notFound(response, head);
      return send(response, 200, 'application/json', chartsFor(x as ChartAxis), head);
    }
    if (path === '/api/events' && !head) return openStream(request, response);
    return notFound(response, head);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else response.destroy();
    });
  });

  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      subscriptions.forEach((s) => s.unsubscribe());
      clients.forEach((c) => c.response.destroy());
      clients.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return new Promise<Dashboard>((resolve, reject) => {
    server.once('error', (error) => {
      subscriptions.forEach((s) => s.unsubscribe());
      reject(error);
    });
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shown}:${address.port}/`,
        host: address.address,
        port: address.port,
        clients: () => [...clients].map((c) => ({ queuedBytes: c.response.writableLength, sentRows: c.sentRows })),
        close,
      });
    });
  });
}

const describe = (run: RunState) => ({ name: run.name, status: run.status, error: run.error ?? null, config: run.config });
