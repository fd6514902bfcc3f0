import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concat, from, throwError } from 'rxjs';
import { lossChart } from '../../src/monitor/lossChart.js';
import { lossChartSpec } from '../../src/monitor/lossChartSpec.js';
import { writeLossChart } from '../../src/monitor/writeLossChart.js';
import { allElements, parseXml } from '../support/xml.js';
import { runEvents } from '../support/events.js';

const texts = (svg: string): string[] =>
  allElements(parseXml(svg))
    .filter((e) => e.name === 'text')
    .map((e) => e.attributes['aria-label'] ?? '');

/** The accuracy layer's points: `path` elements of the symbol mark (not the legend's symbols). */
const accuracyPoints = (svg: string) =>
  allElements(parseXml(svg))
    .filter((e) => (e.attributes['class'] ?? '').includes('layer_1_layer_1_marks'))
    .flatMap((g) => g.children.filter((c) => c.name === 'path'));

/** The text of every `<text>` in a group of class `role` (the XML parser drops text, so a pattern reads it). */
const textsOf = (svg: string, role: string, from = 0, groups = Infinity): string[] =>
  svg
    .slice(from)
    .split(`class="mark-text ${role}"`)
    .slice(1, 1 + groups)
    .flatMap((group) => [...group.slice(0, group.indexOf('</g>')).matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!));

const translateX = (e: { attributes: Readonly<Record<string, string>> }): number =>
  Number(/translate\(([-\d.e]+),/.exec(e.attributes['transform'] ?? '')![1]);

describe('lossChartSpec', () => {
  it('plots one loss point per update and one accuracy point per evaluation', () => {
    const spec = lossChartSpec(runEvents(3, 4)) as unknown as { datasets: Record<string, unknown[]> };
    expect([spec.datasets['updates']!.length, spec.datasets['evaluations']!.length]).toEqual([12, 3]);
  });
});

describe('lossChart', () => {
  it('renders a well-formed SVG document', async () => {
    const root = parseXml(await lossChart(runEvents(3, 4)));
    expect(root.name).toBe('svg');
    expect(root.attributes['xmlns']).toBe('http://www.w3.org/2000/svg');
  });

  it('draws both series: a loss line and an accuracy line with a point per evaluation', async () => {
    const elements = allElements(parseXml(await lossChart(runEvents(3, 4))));
    const roles = (role: string) => elements.filter((e) => (e.attributes['class'] ?? '').includes(role));
    expect(roles('mark-line')).toHaveLength(2);
    const points = roles('layer_1_layer_1_marks').flatMap((g) => g.children.filter((c) => c.name === 'path'));
    expect(points).toHaveLength(3);
    const lines = roles('mark-line').map((g) => g.children.filter((c) => c.name === 'path'));
    lines.forEach((paths) => expect(paths).toHaveLength(1));
  });

  it('titles the axes: update, training loss, test accuracy', async () => {
    const svg = await lossChart(runEvents(2, 3));
    const labels = allElements(parseXml(svg)).filter((e) => e.attributes['class']?.includes('role-axis-title'));
    const titles = labels.flatMap((g) => allElements(g).filter((e) => e.name === 'text')).length;
    expect(titles).toBe(3);
    for (const title of ['update', 'training loss', 'test accuracy']) expect(svg).toContain(`>${title}</text>`);
  });

  it('renders an empty run without failing', async () => {
    expect(parseXml(await lossChart([])).name).toBe('svg');
    expect(texts).toBeTypeOf('function');
  });
});

describe('lossChart (issue 8, point 9)', () => {
  it('draws the accuracy points in their own colour, named in a legend beside the loss', async () => {
    const svg = await lossChart(runEvents(2, 3));
    const lossStroke = /layer_0_marks[^>]*>\s*<path[^>]*stroke="([^"]+)"/.exec(svg)![1];
    const fills = new Set(accuracyPoints(svg).map((p) => p.attributes['fill']));
    expect(fills.size).toBe(1);
    expect([...fills][0]).not.toBe(lossStroke);
    expect(textsOf(svg, 'role-legend-label')).toEqual(['training loss', 'test accuracy']);
    const legendFills = allElements(parseXml(svg))
      .filter((e) => (e.attributes['class'] ?? '').includes('role-legend-symbol'))
      .flatMap((g) => g.children.map((c) => c.attributes['fill']));
    expect(legendFills).toEqual([lossStroke, [...fills][0]]);
  });

  it('draws the single point of a one-epoch run whole, inside the plot', async () => {
    const svg = await lossChart(runEvents(1, 2));
    const [point] = accuracyPoints(svg);
    const radius = Math.sqrt(50 / Math.PI); // a point of area 50
    expect(translateX(point!)).toBeGreaterThanOrEqual(radius);
    expect(translateX(point!)).toBeLessThanOrEqual(640 - radius);
  });

  it('labels the update axis with whole numbers only, even over two updates', async () => {
    for (const svg of [await lossChart(runEvents(1, 2)), await lossChart(runEvents(3, 4))]) {
      const updates = textsOf(svg, 'role-axis-label', svg.indexOf('aria-label="X-axis'), 1);
      expect(updates.length).toBeGreaterThan(1);
      updates.forEach((label) => expect(label).toMatch(/^\d+$/));
    }
  });
});

describe('writeLossChart', () => {
  it('writes the chart of every event once the stream completes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'loss.svg');
    await writeLossChart(from(runEvents(2, 3)), path);
    expect(parseXml(readFileSync(path, 'utf8')).name).toBe('svg');
  });

  it('writes the chart of the events before an error, then rejects with it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-')), 'loss.svg');
    const failure = new Error('boom');
    await expect(writeLossChart(concat(from(runEvents(1, 3)), throwError(() => failure)), path)).rejects.toBe(failure);
    const svg = readFileSync(path, 'utf8');
    expect(accuracyPoints(svg)).toHaveLength(1);
  });
});
