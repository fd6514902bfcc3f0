/**
 * Case 7, dashboard: does a dashboard slow training? train() + metrics() with the metric events going
 * to a dashboard that two pages watch (one reading its stream, one that stopped reading: a socket left
 * open and never read), against the same pipeline with nobody watching, alternated side by side. Both
 * send their events into a Subject; only in the first is serveDashboard subscribed to it. Each timed
 * iteration ends after the event loop has turned once, so the dashboard's writes to its pages are timed
 * too. The reading page is an HTTP client in this same process: its parsing is counted against the
 * dashboard, which overstates the cost of a browser in its own process. Figure: the ratio of median
 * milliseconds per update, dashboard / none (1 means no cost).
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { Subject, tap } from 'rxjs';
import { serveDashboard } from '../../app/src/dashboard/serveDashboard.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { metrics } from '../../lib/monitor/metrics.js';
import type { MetricEvent } from '../../lib/monitor/types.js';
import { train } from '../../lib/train/train.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import type { Examples } from '../../lib/data/types.js';
import { alternate, type AlternateOptions, ratio } from '../internal/alternate.js';
import { makeLayers, microBatchSource, optimizer, type ModelName } from '../internal/fixtures.js';
import { type Summary, summarize } from '../internal/stats.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';

export interface DashboardResult {
  readonly backend: string;
  readonly model: ModelName;
  readonly updatesPerIteration: number;
  /** With a dashboard and two pages / without, ms per update. */
  readonly ratio: Summary;
  readonly withMsPerUpdate: Summary;
  readonly withoutMsPerUpdate: Summary;
  /** Rows the reading page had received at the end; bytes waiting for the stalled one. */
  readonly readerRows: number;
  readonly stalledQueuedBytes: number;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

export async function dashboardCost(
  backend: string,
  examples: Examples,
  name: ModelName,
  updates: number,
  timing: AlternateOptions,
): Promise<DashboardResult> {
  const n = 8;
  const layers = makeLayers(name);
  const model = fromLayersModel(layers);
  const watched = new Subject<MetricEvent>();
  const unwatched = new Subject<MetricEvent>();
  const dashboard = await serveDashboard(watched, { name: 'bench' });
  let readerRows = 0;
  const reader = request(`${dashboard.url}api/events`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (readerRows += chunk.split('"kind":"update"').length - 1));
  });
  reader.end();
  const stalled = connect(dashboard.port, '127.0.0.1');
  stalled.pause();
  stalled.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${dashboard.port}\r\n\r\n`);
  while (dashboard.clients().length < 2) await turn();

  const run = async (events: Subject<MetricEvent>) => {
    let last: { state: unknown } | undefined;
    microBatchSource(examples, name, updates * n)
      .pipe(
        train({ model, loss: softmaxCrossEntropy, optimizer: optimizer(), accumulationSteps: n }),
        tap((step) => (last = step)),
        metrics(),
        tap((event) => events.next(event)),
      )
      .subscribe();
    if (last) disposeTree(last.state);
    await turn();
  };
  try {
    const [w, wo] = await alternate(
      [
        { name: 'dashboard', fn: () => run(watched) },
        { name: 'none', fn: () => run(unwatched) },
      ],
      timing,
    );
    const perUpdate = (xs: ReadonlyArray<number>) => summarize(xs.map((x) => x / updates));
    const stalledClient = dashboard.clients().find((c) => c.sentRows < readerRows) ?? dashboard.clients()[1];
    return {
      backend,
      model: name,
      updatesPerIteration: updates,
      ratio: ratio(w!, wo!),
      withMsPerUpdate: perUpdate(w!.roundMedians),
      withoutMsPerUpdate: perUpdate(wo!.roundMedians),
      readerRows,
      stalledQueuedBytes: stalledClient?.queuedBytes ?? 0,
    };
  } finally {
    reader.destroy();
    stalled.destroy();
    await dashboard.close();
    layers.dispose();
  }
}
