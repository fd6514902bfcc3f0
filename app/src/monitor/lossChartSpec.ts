import type { TopLevelSpec } from 'vega-lite';
import type { MetricEvent } from 'gradstream';
import { chartRows, type ChartAxis, type ChartRow } from '../dashboard/chartRows.js';

/** Options of {@link lossChartSpec}. */
export interface LossChartOptions {
  /** The x-axis: `update` (default), `examplesSeen` or `seconds` (wall time since the run began). */
  readonly x?: ChartAxis;
  /**
   * The runs drawn, in legend order (default: one unnamed run). With more than one, each series is
   * labelled with its run's name.
   */
  readonly runs?: ReadonlyArray<string>;
  /**
   * Draw a smoothed loss line (field `smoothed` of each update row) over a faint raw one. The live
   * dashboard fills `smoothed` from its slider; the static chart has no slider and draws the raw loss.
   */
  readonly smoothed?: boolean;
}

/** The x channel of every chart: whole-number ticks for counts, padding so that a lone point is drawn whole. */
export const xEncoding = (x: ChartAxis) =>
  ({
    field: x,
    type: 'quantitative',
    title: x === 'update' ? 'update' : x === 'examplesSeen' ? 'examples' : 'wall time (s)',
    // Pixels of room at both ends: a run of one epoch has a single accuracy point, which would
    // otherwise sit on the plot's edge, half of it over the axis.
    scale: { zero: false, nice: false, padding: 12 },
    axis: x === 'seconds' ? { tickCount: 6 } : { tickMinStep: 1, format: 'd', tickCount: 6 },
  }) as const;

/** The label of a series in the legend: the series alone for one run, prefixed by the run's name otherwise. */
const seriesLabel = (runs: ReadonlyArray<string>, series: string): string[] =>
  runs.length > 1 ? runs.map((run) => `${run}: ${series}`) : [series];

const seriesExpr = (runs: ReadonlyArray<string>, series: string): string =>
  runs.length > 1 ? `datum.run + ${JSON.stringify(`: ${series}`)}` : JSON.stringify(series);

/** Two colour families: blues for training loss, oranges for test accuracy, one shade per run. */
const BLUES = ['#4c78a8', '#72b7b2', '#54a24b', '#9d755d', '#b279a2'];
const ORANGES = ['#f58518', '#e45756', '#eeca3b', '#ff9da6', '#bab0ac'];

/**
 * The Vega-Lite specification of a run's chart: training loss per update (a line, left axis) and test
 * accuracy per evaluation (a line with points, right axis, in its own colour), with a legend. The one
 * chart definition of the project: `loss.svg` renders it with the events inlined, and the live dashboard
 * renders the same spec with empty data and streams rows into its named datasets `updates` and
 * `evaluations` (rows from the dashboard's row maker: each event, its `run`, `examplesSeen`, `seconds`).
 * Pure: a complete, self-contained description of the chart.
 *
 * ## Example
 * ```ts
 * const spec = lossChartSpec(events); // render with lossChart, or paste into the Vega editor
 * const live = lossChartSpec([], { x: 'seconds', runs: ['a', 'b'], smoothed: true }); // the dashboard's
 * ```
 *
 * @param events the metric events of a run, in order (an empty array for a chart fed later)
 * @param options the x-axis, the runs, whether to draw a smoothed loss
 * @returns a layered Vega-Lite spec with independent y scales
 */
export function lossChartSpec(events: ReadonlyArray<MetricEvent>, options: LossChartOptions = {}): TopLevelSpec {
  const runs = options.runs ?? [''];
  const row = chartRows(runs[0] ?? '');
  const rows: ChartRow[] = events.map(row);
  const updates = rows.filter((r) => r.kind === 'update' && Number.isFinite(r.loss));
  const evaluations = rows.filter((r) => r.kind === 'evaluation');
  const x = xEncoding(options.x ?? 'update');
  const lossLabels = seriesLabel(runs, 'training loss');
  const accuracyLabels = seriesLabel(runs, 'test accuracy');
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: {
      domain: [...lossLabels, ...accuracyLabels],
      range: [...runs.map((_, i) => BLUES[i % BLUES.length]!), ...runs.map((_, i) => ORANGES[i % ORANGES.length]!)],
    },
    legend: { orient: 'bottom', direction: 'horizontal', symbolOpacity: 1 },
  } as const;
  const loss = (field: 'loss' | 'smoothed', opacity: number) => ({
    data: { name: 'updates' },
    transform: [
      { filter: `isValid(datum.${field}) && isFinite(datum.${field})` },
      { calculate: seriesExpr(runs, 'training loss'), as: 'series' },
    ],
    mark: { type: 'line', opacity, clip: true },
    encoding: {
      x,
      y: { field, type: 'quantitative', title: 'training loss', axis: { titleColor: BLUES[0] } },
      color,
      detail: { field: 'run' },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Training loss and test accuracy',
    width: 640,
    height: 320,
    background: 'white',
    // Lay out again as data arrive: axis labels and the legend grow with the data on a live page.
    autosize: { type: 'pad', resize: true },
    datasets: { updates, evaluations },
    layer: [
      // The raw and smoothed loss share one y scale: a layer of their own inside the independent pair.
      options.smoothed ? { layer: [loss('loss', 0.25), loss('smoothed', 1)] } : loss('loss', 1),
      {
        data: { name: 'evaluations' },
        transform: [{ calculate: seriesExpr(runs, 'test accuracy'), as: 'series' }],
        mark: { type: 'line', point: { filled: true, size: 50 } },
        encoding: {
          x,
          y: {
            field: 'testAccuracy',
            type: 'quantitative',
            title: 'test accuracy',
            scale: { domain: [0, 1] },
            axis: { format: '.0%', orient: 'right', titleColor: ORANGES[0] },
          },
          color,
          detail: { field: 'run' },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
