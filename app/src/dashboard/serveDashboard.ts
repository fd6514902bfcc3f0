import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as E from 'fp-ts/lib/Either.js';
import { of, type Observable } from 'rxjs';
import type { MetricEvent } from 'gradstream';
import { chartCache } from './internal/chartCache.js';
import { isLoopbackAddress } from './internal/loopback.js';
import { route, type Served } from './internal/routes.js';
import { recordRuns } from './internal/runHistory.js';
import { send } from './internal/send.js';
import { pump, type Client } from './internal/ssePump.js';
import { validateServeOptions } from './internal/validateServeOptions.js';

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
 * Bound to a loopback address (any of 127.0.0.0/8 or ::1, however `host` spells it), the server answers
 * only requests whose `Host` names this machine (`localhost`, or a loopback address in any spelling):
 * a page of another site that points its own name at 127.0.0.1 (DNS rebinding) is refused.
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
  const checked = validateServeOptions(options);
  if (E.isLeft(checked)) throw checked.left;
  const { port, host } = checked.right;
  const given: ReadonlyArray<DashboardRun> = Array.isArray(source)
    ? (source as ReadonlyArray<DashboardRun>)
    : [
        {
          name: options.name ?? 'run',
          events: source as Observable<MetricEvent>,
          ...(options.config === undefined ? {} : { config: of(options.config) }),
        },
      ];
  const clients = new Set<Client>();
  let flushScheduled = false;
  // Pages are written to after the event's own turn, once for all that came in it.
  const scheduleFlush = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      clients.forEach((client) => pump(runs, client));
    });
  };
  const { runs, subscriptions } = recordRuns(given, scheduleFlush);
  const charts = chartCache(given.map((r) => r.name));
  // Compiled now, before the run starts: a page's first request would otherwise stall training while it compiles.
  charts('update');

  let loopback = true; // until bound: nothing is answered before then anyway
  const served: Served = { runs, clients, charts, loopbackOnly: () => loopback };
  const server = createServer((request, response) => {
    route(served, request, response).catch(() => {
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
      // The address the OS bound, not the spelling given: `127.1` and `localhost` are loopback too.
      loopback = isLoopbackAddress(address.address);
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
