import type { TopLevelSpec } from 'vega-lite';
import type { MetricEvent } from 'gradstream';

/**
 * The Vega-Lite specification of a run's chart: training loss per update (a line, left axis) and test
 * accuracy per evaluation (a line with points, right axis), over a shared axis of updates. Pure: the
 * data are inlined, so the spec is a complete, self-contained description of the chart.
 *
 * ## Example
 * ```ts
 * const spec = lossChartSpec(events); // render with lossChart, or paste into the Vega editor
 * ```
 *
 * @param events the metric events of a run, in any order
 * @returns a layered Vega-Lite spec with independent y scales
 */
export function lossChartSpec(events: ReadonlyArray<MetricEvent>): TopLevelSpec {
  const losses = events.flatMap((e) => (e.kind === 'update' && Number.isFinite(e.loss) ? [{ update: e.update, loss: e.loss }] : []));
  const accuracies = events.flatMap((e) =>
    e.kind === 'evaluation' ? [{ update: e.update, epoch: e.epoch, accuracy: e.testAccuracy }] : [],
  );
  const x = { field: 'update', type: 'quantitative', title: 'update' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Training loss and test accuracy',
    width: 640,
    height: 320,
    background: 'white',
    layer: [
      {
        data: { values: losses },
        mark: { type: 'line', color: '#4c78a8' },
        encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'training loss', axis: { titleColor: '#4c78a8' } } },
      },
      {
        data: { values: accuracies },
        mark: { type: 'line', color: '#f58518', point: true },
        encoding: {
          x,
          y: {
            field: 'accuracy',
            type: 'quantitative',
            title: 'test accuracy',
            scale: { domain: [0, 1] },
            axis: { format: '.0%', orient: 'right', titleColor: '#f58518' },
          },
        },
      },
    ],
    resolve: { scale: { y: 'independent' } },
  };
}
