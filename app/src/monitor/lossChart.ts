import * as vega from 'vega';
import { compile } from 'vega-lite';
import { lossChartSpec } from './lossChartSpec.js';
import type { MetricEvent } from 'gradstream';

/**
 * Renders a run's chart ({@link lossChartSpec}) to an SVG document, in Node, with no browser: the
 * Vega-Lite spec is compiled to Vega and rendered by a headless `vega.View` (renderer `none`).
 *
 * ## Example
 * ```ts
 * const svg = await lossChart(events);
 * await writeFile('runs/x/loss.svg', svg);
 * ```
 *
 * @param events the metric events of a run
 * @returns a Promise of the SVG text
 */
export async function lossChart(events: ReadonlyArray<MetricEvent>): Promise<string> {
  const view = new vega.View(vega.parse(compile(lossChartSpec(events)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
