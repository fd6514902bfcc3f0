// The page test/browser/browser.test.ts bundles with esbuild and opens in Chromium. It imports gradstream by
// its package name, as a user's app would, trains one small model with train() on cpu, wasm and webgl (same
// data, same initial params), reports what it saw on `window.gradstreamResults` and shows it as a table.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { lastValueFrom, map, range, tap } from 'rxjs';
import { adam, losses, train, type Batch, type Model } from 'gradstream';
// The library's own generator, bundled from its source (it is internal, not exported).
import { mulberry32 } from '../../lib/internal/mulberry32.js';
import { comparedLosses, pageBackends, type BackendRun, type PageBackend, type PageResults } from './results.js';

// The server maps /wasm/ to @tensorflow/tfjs-backend-wasm's dist/*.wasm.
setWasmPaths('/wasm/');

const [N, D, H, K] = [64, 8, 16, 3];
const UPDATES = 8;

/** Deterministic values in [-scale, scale) (mulberry32): every backend starts from the same numbers. */
function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

// Inputs, and one-hot labels from a fixed linear teacher, so the loss has something to fall towards.
const xs = randomValues(N * D, 11);
const teacher = randomValues(D * K, 12);
const ys = new Float32Array(N * K);
for (let n = 0; n < N; n++) {
  const scores = Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += xs[n * D + d]! * teacher[d * K + k]!;
    return s;
  });
  ys[n * K + scores.indexOf(Math.max(...scores))] = 1;
}

/** A fresh batch of all N examples: train takes and disposes each batch it is given. */
const batch = (): Batch => ({ xs: tf.tensor2d(xs, [N, D]), ys: tf.tensor2d(ys, [N, K]) });

/** A D-H-K tanh network; its params are the caller's. */
const mlp = (): Model => ({
  params: {
    w1: tf.tensor2d(randomValues(D * H, 1, 0.5), [D, H]),
    b1: tf.tensor1d(randomValues(H, 2, 0.1)),
    w2: tf.tensor2d(randomValues(H * K, 3, 0.5), [H, K]),
    b2: tf.tensor1d(randomValues(K, 4, 0.1)),
  },
  apply: (p, x) => tf.tidy(() => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, p['w1']!), p['b1']!)), p['w2']!), p['b2']!)),
});

async function runOn(backend: PageBackend): Promise<BackendRun> {
  const start = performance.now();
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
  await tf.ready();
  const setupMs = performance.now() - start;
  const tensorsBefore = tf.memory().numTensors;
  const model = mlp();
  const lossValues: number[] = [];
  // Each batch of 64 is cut into 4 micro-batches of 16 and accumulated into one update.
  const last = await lastValueFrom(
    range(0, UPDATES).pipe(
      map(batch),
      train({ model, loss: losses.softmaxCrossEntropy, optimizer: adam({ learningRate: 0.05 }), microBatchSize: 16, accumulationSteps: 4 }),
      tap((step) => lossValues.push(step.loss)),
    ),
  );
  // The model's params stay the caller's; so do the last step's params and Adam moments.
  tf.dispose([model.params, last.params, last.state.optimizerState.mu, last.state.optimizerState.nu]);
  return { backend, losses: lossValues, tensorsBefore, tensorsAfter: tf.memory().numTensors, ms: performance.now() - start, setupMs };
}

function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (gl === null) return 'no WebGL context';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL));
}

async function main(): Promise<PageResults> {
  const runs: BackendRun[] = [];
  for (const backend of pageBackends) {
    try {
      runs.push(await runOn(backend));
    } catch (e) {
      runs.push({ backend, losses: [], tensorsBefore: NaN, tensorsAfter: NaN, ms: NaN, setupMs: NaN, error: String(e) });
    }
  }
  return {
    crossOriginIsolated: self.crossOriginIsolated,
    wasmMultithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') === true,
    wasmSimd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') === true,
    wasmThreads: getThreadsCount(),
    webglRenderer: webglRenderer(),
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    runs,
  };
}

function render(results: PageResults): void {
  const cpu = results.runs.find((r) => r.backend === 'cpu');
  const cell = (tag: string, text: string) => Object.assign(document.createElement(tag), { textContent: text });
  const row = (tag: string, texts: ReadonlyArray<string>) => {
    const tr = document.createElement('tr');
    tr.append(...texts.map((t) => cell(tag, t)));
    return tr;
  };
  const table = document.createElement('table');
  table.append(row('th', ['backend', 'updates', 'first loss', 'last loss', `max |Δ| vs cpu (first ${comparedLosses})`, 'tensors before → after', 'ms (set-up)']));
  for (const r of results.runs) {
    const delta = cpu === undefined ? NaN : Math.max(...r.losses.slice(0, comparedLosses).map((l, i) => Math.abs(l - cpu.losses[i]!)));
    table.append(
      r.error === undefined
        ? row('td', [r.backend, String(r.losses.length), r.losses[0]!.toFixed(6), r.losses.at(-1)!.toFixed(6), delta.toExponential(1), `${r.tensorsBefore} → ${r.tensorsAfter}`, `${Math.round(r.ms)} (${Math.round(r.setupMs)})`])
        : row('td', [r.backend, 'failed', r.error, '', '', '', '']),
    );
  }
  document.body.append(
    cell('h1', 'gradstream in Chromium: train() on three backends'),
    cell('p', `${N} examples, a ${D}-${H}-${K} tanh network, Adam, micro-batches of 16 accumulated 4 at a time, ${UPDATES} updates; the same data and initial params on each backend.`),
    table,
    cell('p', `crossOriginIsolated: ${results.crossOriginIsolated} · wasm: ${results.wasmMultithread ? `threaded (${results.wasmThreads} worker thread${results.wasmThreads === 1 ? '' : 's'})` : 'single-threaded'}${results.wasmSimd ? ', SIMD' : ''} · WebGL ${results.webglVersion}: ${results.webglRenderer}`),
    cell('p', navigator.userAgent),
  );
}

main().then(
  (results) => {
    render(results);
    Object.assign(window, { gradstreamResults: results });
  },
  (e: unknown) => Object.assign(window, { gradstreamResults: { error: String(e), runs: [] } }),
);
