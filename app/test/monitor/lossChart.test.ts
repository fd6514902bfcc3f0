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

describe('lossChartSpec', () => {
  it('plots one loss point per update and one accuracy point per evaluation', () => {
    const spec = lossChartSpec(runEvents(3, 4)) as unknown as { layer: { data: { values: unknown[] } }[] };
    expect(spec.layer.map((l) => l.data.values.length)).toEqual([12, 3]);
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
    const points = roles('mark-symbol').flatMap((g) => g.children.filter((c) => c.name === 'path'));
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
    expect(allElements(parseXml(svg)).filter((e) => (e.attributes['class'] ?? '').includes('mark-symbol'))).toHaveLength(1);
  });
});
