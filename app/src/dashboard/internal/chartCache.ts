// The charts a page asks for, compiled once per x-axis: Vega-Lite's compile is slow, and a page's
// request must not stall training while it runs.
import { compile } from 'vega-lite';
import { lossChartSpec } from '../../monitor/lossChartSpec.js';
import type { ChartAxis } from '../chartRows.js';
import { metricCharts, metricChartSpec } from '../metricChartSpec.js';

/** A function from an x-axis to the JSON of its compiled charts, each compiled on first use and kept. */
export function chartCache(names: ReadonlyArray<string>): (x: ChartAxis) => string {
  const charts = new Map<ChartAxis, string>();
  return (x) => {
    const cached = charts.get(x);
    if (cached !== undefined) return cached;
    const json = JSON.stringify({
      loss: compile(lossChartSpec([], { x, runs: names, smoothed: true })).spec,
      metrics: metricCharts.map((chart) => ({ ...chart, spec: compile(metricChartSpec(chart, { x, runs: names })).spec })),
    });
    charts.set(x, json);
    return json;
  };
}
