// The dashboard page: charts specified by the server (the same Vega-Lite definitions as loss.svg,
// compiled to Vega), fed rows by Server-Sent Events. Everything from the server is data: run names and
// configuration values are set as text, never as markup.
/* global vega */

/** TensorBoard's smoothing: an exponential moving average, debiased so that its first values are not pulled to 0. */
export const smoother = (weight) => {
  let last = 0;
  let n = 0;
  return (value) => {
    if (!Number.isFinite(value)) return null;
    last = last * weight + (1 - weight) * value;
    n += 1;
    return weight === 0 ? value : last / (1 - weight ** n);
  };
};

const state = {
  runs: [],
  /** Per run: every row received, updates and evaluations apart, and the smoother of its loss. */
  data: [],
  x: 'update',
  smoothing: 0.6,
  views: [],
  drawnX: undefined,
  pending: [],
  /** Runs whose rows the charts must drop at the next flush (a new connection resends them). */
  forget: new Set(),
  flushTimer: undefined,
};

/** Tells whoever watches the page (tests, curious users) that what it shows has changed. */
const changed = () => window.dispatchEvent(new window.Event('gradstream:change'));

const element = (tag, text, className) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (className !== undefined) e.className = className;
  return e;
};

const showValue = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

function renderRun(index) {
  const run = state.runs[index];
  const box = document.getElementById(`run-${index}`) ?? element('div', undefined, 'run');
  box.id = `run-${index}`;
  box.replaceChildren();
  box.append(element('div', run.name, 'name'));
  const updates = state.data[index]?.updates.length ?? 0;
  box.append(element('div', `${run.status}${run.error ? `: ${run.error}` : ''} · ${updates} updates`, 'status'));
  if (run.config !== null && typeof run.config === 'object') {
    const table = element('table');
    for (const [key, value] of Object.entries(run.config)) {
      const tr = element('tr');
      tr.append(element('td', key), element('td', showValue(value)));
      table.append(tr);
    }
    box.append(table);
  } else {
    box.append(element('div', run.status === 'running' ? 'configuration: when the run ends' : 'no configuration', 'status'));
  }
  if (!box.parentNode) document.getElementById('runs').append(box);
}

const emptyRun = () => ({ updates: [], evaluations: [], smooth: smoother(state.smoothing) });

// A fresh object from the row's own string keys: spreading a row Vega has drawn would copy its tuple id
// (a symbol key), and Vega would take the new row for the old one.
const withSmoothed = (row, smooth) => ({ ...Object.fromEntries(Object.entries(row)), smoothed: smooth(row.loss) });

/**
 * Applies what is pending to every chart, at most ten times a second: Vega redraws once per batch. One
 * changeset per dataset and batch (runs to forget, rows to add): two changes of one dataset before a
 * run would not both be applied.
 */
function flush() {
  state.flushTimer = undefined;
  const rows = { updates: state.pending.filter((r) => r.kind === 'update'), evaluations: state.pending.filter((r) => r.kind === 'evaluation') };
  const forget = state.forget;
  state.pending = [];
  state.forget = new Set();
  for (const { view, datasets } of state.views) {
    for (const name of datasets) {
      if (rows[name].length === 0 && forget.size === 0) continue;
      const changes = vega.changeset().insert(rows[name]);
      if (forget.size > 0) changes.remove((d) => forget.has(d.run));
      view.change(name, changes);
    }
  }
  state.runs.forEach((_, i) => renderRun(i));
  Promise.all(state.views.map(({ view }) => view.runAsync())).then(changed);
}

function receive(index, from, rows) {
  if (from === 0 && state.data[index].updates.length + state.data[index].evaluations.length > 0) {
    // A new connection starts again from the first row: forget what this run had.
    const name = state.runs[index].name;
    state.data[index] = emptyRun();
    state.pending = state.pending.filter((r) => r.run !== name);
    state.forget.add(name);
  }
  const run = state.data[index];
  for (const row of rows) {
    const plotted = row.kind === 'update' ? withSmoothed(row, run.smooth) : row;
    (row.kind === 'update' ? run.updates : run.evaluations).push(plotted);
    state.pending.push(plotted);
  }
  state.flushTimer ??= setTimeout(flush, 100);
}

async function buildCharts() {
  const response = await fetch(`api/charts?x=${encodeURIComponent(state.x)}`);
  const charts = await response.json();
  state.views.forEach(({ view }) => view.finalize());
  const lossBox = document.getElementById('loss');
  const metricsBox = document.getElementById('metrics');
  lossBox.replaceChildren();
  metricsBox.replaceChildren();
  const make = (spec, container, datasets) => {
    const view = new vega.View(vega.parse(spec), { renderer: 'canvas', container, hover: false });
    const all = { updates: state.data.flatMap((d) => d.updates), evaluations: state.data.flatMap((d) => d.evaluations) };
    for (const name of datasets) view.insert(name, all[name]);
    return { view, datasets };
  };
  const views = [make(charts.loss, lossBox, ['updates', 'evaluations'])];
  for (const chart of charts.metrics) {
    const box = element('div', undefined, 'chart');
    metricsBox.append(box);
    views.push(make(chart.spec, box, [chart.dataset]));
  }
  state.views = views;
  await Promise.all(views.map(({ view }) => view.runAsync()));
  state.drawnX = state.x;
  changed();
}

function resmooth() {
  state.data = state.data.map((run) => {
    const smooth = smoother(state.smoothing);
    return { ...run, smooth, updates: run.updates.map((row) => withSmoothed(row, smooth)) };
  });
  const main = state.views[0];
  if (main === undefined) return;
  state.pending = state.pending.filter((r) => r.kind !== 'update'); // re-inserted below, smoothed anew
  main.view.change('updates', vega.changeset().remove(() => true).insert(state.data.flatMap((d) => d.updates))).runAsync().then(changed);
}

function connect() {
  const status = document.getElementById('connection');
  const source = new EventSource('api/events');
  source.addEventListener('open', () => (status.textContent = 'live'));
  source.addEventListener('error', () => (status.textContent = 'reconnecting…'));
  source.addEventListener('rows', (e) => {
    const { run, from, rows } = JSON.parse(e.data);
    receive(run, from, rows);
  });
  source.addEventListener('run', (e) => {
    const { run, ...info } = JSON.parse(e.data);
    state.runs[run] = info;
    renderRun(run);
    changed();
  });
}

async function main() {
  const { runs } = await (await fetch('api/runs')).json();
  state.runs = runs;
  state.data = runs.map(emptyRun);
  runs.forEach((_, i) => renderRun(i));
  await buildCharts();
  for (const input of document.querySelectorAll('input[name="x"]')) {
    input.addEventListener('change', () => {
      state.x = input.value;
      buildCharts();
    });
  }
  const slider = document.getElementById('smoothing');
  slider.addEventListener('input', () => {
    state.smoothing = Number(slider.value);
    document.getElementById('smoothing-value').textContent = state.smoothing.toFixed(2);
    resmooth();
  });
  connect();
}

/** What tests and curious users can ask the page: the rows the loss chart holds, per dataset and run. */
window.gradstreamDashboard = {
  points: (dataset = 'updates', run = undefined) =>
    state.views[0] ? state.views[0].view.data(dataset).filter((d) => run === undefined || d.run === run).length : 0,
  /** The update rows the loss chart draws now (loss and smoothed loss). */
  rows: () => (state.views[0] ? state.views[0].view.data('updates').map((d) => ({ loss: d.loss, smoothed: d.smoothed })) : []),
  /** The x-axis the charts are drawn over, once drawn. */
  axis: () => state.drawnX,
  runs: () => state.runs.map((r, i) => ({ ...r, updates: state.data[i].updates.length })),
};

main();
