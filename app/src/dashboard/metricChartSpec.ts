import type { TopLevelSpec } from 'vega-lite';
import { xEncoding } from '../monitor/lossChartSpec.js';
import type { ChartAxis } from './chartRows.js';

/** What {@link metricChartSpec} draws: one numeric field of the dashboard's update or evaluation rows. */
export interface MetricChart {
  /** The row field, e.g. `gradNorm`. */
  readonly field: string;
  /** The chart's title and y-axis title. */
  readonly title: string;
  /** The dataset holding the field: `updates` (one row per update) or `evaluations` (one per epoch). */
  readonly dataset: 'updates' | 'evaluations';
  /** A d3 number format for the y-axis, e.g. `.2s`. */
  readonly format?: string;
}

/** The small charts of the dashboard, beside the loss chart. */
export const metricCharts: ReadonlyArray<MetricChart> = [
  { field: 'gradNorm', title: 'gradient norm', dataset: 'updates' },
  { field: 'learningRate', title: 'learning rate', dataset: 'updates', format: '.2~e' },
  { field: 'examplesPerSecond', title: 'examples / s', dataset: 'updates', format: '.3~s' },
  { field: 'numTensors', title: 'live tensors', dataset: 'updates', format: 'd' },
  { field: 'numBytes', title: 'tensor bytes', dataset: 'updates', format: '.3~s' },
  { field: 'skippedMicroBatches', title: 'skipped micro-batches', dataset: 'updates', format: 'd' },
  { field: 'testLoss', title: 'test loss', dataset: 'evaluations' },
  { field: 'testAccuracy', title: 'test accuracy', dataset: 'evaluations', format: '.1%' },
];

/**
 * The Vega-Lite spec of one of the dashboard's small charts: a field over the chosen x-axis, one line
 * per run coloured by run (points for per-epoch fields). Its data are the named dataset the dashboard
 * streams rows into, empty at first; the x channel is the loss chart's, so every chart reads alike.
 *
 * ## Example
 * ```ts
 * const spec = metricChartSpec(metricCharts[0], { x: 'update', runs: ['run-a', 'run-b'] });
 * ```
 *
 * @param chart the field, title, dataset and format
 * @param options the x-axis and the runs (legend order)
 * @returns a Vega-Lite spec with an empty named dataset
 */
export function metricChartSpec(chart: MetricChart, options: { x: ChartAxis; runs: ReadonlyArray<string> }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 280,
    height: 140,
    background: 'white',
    autosize: { type: 'pad', resize: true },
    datasets: { [chart.dataset]: [] },
    data: { name: chart.dataset },
    transform: [{ filter: `isValid(datum.${chart.field}) && isFinite(datum.${chart.field})` }],
    mark: { type: 'line', clip: true, point: chart.dataset === 'evaluations' },
    encoding: {
      x: xEncoding(options.x),
      y: {
        field: chart.field,
        type: 'quantitative',
        title: null,
        scale: { zero: false },
        ...(chart.format === undefined ? {} : { axis: { format: chart.format } }),
      },
      color: {
        field: 'run',
        type: 'nominal',
        scale: { domain: [...options.runs] },
        legend: options.runs.length > 1 ? { orient: 'bottom', title: null } : null,
      },
    },
  } as TopLevelSpec;
}
