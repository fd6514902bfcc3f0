// What test/browser/page.ts reports back to test/browser/browser.test.ts: plain data, shared by both sides.

/** The backends the page trains on, `cpu` first: the others are compared with it. */
export const pageBackends = ['cpu', 'wasm', 'webgl'] as const;
export type PageBackend = (typeof pageBackends)[number];

/** One backend's run of the page's training. */
export interface BackendRun {
  readonly backend: PageBackend;
  /** The mean loss of each update, in order. */
  readonly losses: ReadonlyArray<number>;
  /** `tf.memory().numTensors` before the model was made, and after everything of the run was disposed. */
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
  /** Wall time of the run, in ms: all of it, and the part spent in tf.setBackend and tf.ready. */
  readonly ms: number;
  readonly setupMs: number;
  /** Set when the backend could not be selected or the run failed; the numbers are then empty or NaN. */
  readonly error?: string;
}

/** What the page found and did: set on `window.gradstreamResults` when it is done, or `error` if it failed. */
export interface PageResults {
  readonly crossOriginIsolated: boolean;
  /** tfjs's own flags: whether the wasm backend runs its threaded SIMD build, and with how many threads. */
  readonly wasmMultithread: boolean;
  readonly wasmSimd: boolean;
  readonly wasmThreads: number;
  /** The WebGL renderer string (`SwiftShader` when Chromium renders in software), and tfjs's WebGL version. */
  readonly webglRenderer: string;
  readonly webglVersion: number;
  readonly runs: ReadonlyArray<BackendRun>;
  readonly error?: string;
}

/** How many of each backend's first losses must match cpu's, and how closely. */
export const comparedLosses = 3;
export const lossTolerance = 1e-4;
