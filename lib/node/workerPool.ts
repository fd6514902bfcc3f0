import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { fastWasmMatMulEnabled } from '../backends/fastWasmMatMulEnabled.js';
import { fastWasmKernelsInForce } from '../backends/useFastWasmKernels.js';
import type { Batch } from '../batch/types.js';
import { ConfigError } from '../errors/ConfigError.js';
import { WorkerError } from '../errors/WorkerError.js';
import { gradientSample } from '../gradients/gradientSample.js';
import type { GradientSample } from '../gradients/types.js';
import { disposeBatch } from '../internal/disposeBatch.js';
import { getOrThrow } from '../internal/validate.js';
import type { LayersModelAdapter } from '../models/fromLayersModel.js';
import * as losses from '../models/losses/index.js';
import type { Loss, Model } from '../models/types.js';
import type { Params } from '../optim/types.js';
import type { GradientPool, GradientPoolRun } from '../parallel/types.js';
import { workerExited, workerStarted } from './internal/liveWorkers.js';
import { spansWhole } from './internal/spansWhole.js';
import { readsFresh, tensorFromBorrowed, valuesView } from '../internal/valuesView.js';
import {
  EVENTS,
  GRADIENT_SLOTS,
  PARAMS_WRITTEN,
  SLOT_FREE,
  SLOTS_FREED,
  claim,
  controlLength,
  exitCodeSlot,
  exitedSlot,
  type BatchMessage,
  type EncodedTensor,
  type ModuleRef,
  type ParamSpec,
  type WorkerInit,
  type WorkerMessage,
} from './internal/protocol.js';

const FN = 'workerPool';

/** A module and the name of one of its exports, for what must be imported again inside each worker. */
export interface ModuleExport {
  /** The module's URL (a `file:` URL, or a path the worker can import). */
  readonly url: URL | string;
  /** The export's name (default `'default'`). */
  readonly export?: string;
}

/** Options of {@link workerPool}. */
export interface WorkerPoolOptions {
  /**
   * Worker threads: a count, or `'auto'` (default): one per available core, less the main thread's
   * when it computes a share (`os.availableParallelism() - 1`, at least 1).
   */
  readonly workers?: number | 'auto';
  /**
   * Whether the main thread computes micro-batches too (default `true`): it would otherwise only wait
   * while the workers compute. Whenever the next sample in order is not ready, it takes the window's first
   * micro-batch that no worker has begun, so it computes as much as its other work (summing the samples,
   * the optimizer's update) leaves it time for, and a slow or still-starting worker does not hold the
   * window up. Its micro-batches fail with the sequential path's own errors.
   */
  readonly mainShare?: boolean;
  /**
   * Where a pure-function model's `apply` comes from in a worker: a module exporting the {@link Model}
   * (only its `apply` is used) or its `apply` function. Not needed for a model made by `fromLayersModel`:
   * its topology goes to the workers by itself.
   */
  readonly model?: ModuleExport;
  /** Where the loss comes from in a worker, for a loss that is not one of the built-in `losses`. */
  readonly loss?: ModuleExport;
  /** The worker script (default: `worker.js` next to this module); for bundlers that move files. */
  readonly workerUrl?: URL | string;
}

/** {@link WorkerPoolOptions} after validation. */
interface WorkerPoolConfig {
  readonly workers: number;
  readonly mainShare: boolean;
  readonly model: ModuleRef | undefined;
  readonly loss: ModuleRef | undefined;
  readonly workerUrl: URL;
}

/**
 * A {@link GradientPool} of worker threads, for the `gradients` option of `train`: each worker
 * holds a replica of the model and computes its share of every window's micro-batches, so an
 * accumulation window uses every core.
 *
 * Why it stays exact: every micro-batch of a window is computed with the window's parameters, whoever
 * computes it, and the samples come back one per micro-batch, in order, into the same running sum as on
 * one thread. A run with a pool is bit-identical to the run without one, whatever the number of
 * workers (on the same backend: the workers use the main thread's backend and fast matmul setting).
 *
 * The parameters reach the workers once per window through shared memory; a micro-batch goes as one
 * message, and a worker claims it (in shared memory) before computing it; its gradients come back through
 * a few shared slots per worker, copied straight from the worker's backend memory and out into the main
 * thread's (no buffer is allocated per micro-batch: on virtual machines a fresh buffer's page faults
 * cost more than the copy). The samples go on in order, each as soon as it is ready, so the main thread sums
 * one while the workers compute the next. Waiting for one, with `mainShare`, it computes the window's first
 * micro-batch that no worker has begun (every one of the first windows of a run, while the workers start);
 * without, it waits (in timed waits, checking that no worker died). Who computes a micro-batch changes
 * nothing in its sample. The optimizer is applied on the main thread, as without a pool. The workers start
 * when the stream is subscribed and are terminated when it completes, fails or is unsubscribed.
 *
 * How the model reaches a worker: a model made by `fromLayersModel` by itself (its JSON topology; the
 * weights are the window's parameters); a pure-function model through a module that exports it
 * (`model: { url, export }`), as usual with workers. The loss: a built-in one by itself, another one
 * through a module (`loss: { url, export }`).
 *
 * ## Example
 * ```ts
 * import { workerPool } from 'gradstream/node';
 *
 * // A Layers model: its topology goes to the workers by itself.
 * batches$.pipe(train({ model: fromLayersModel(layers), loss: losses.softmaxCrossEntropy, optimizer,
 *   accumulationSteps: 8, microBatchSize: 32, gradients: workerPool({ workers: 2 }) }));
 *
 * // A pure-function model: each worker imports it (model.ts exports `apply(params, xs)`).
 * const pool = workerPool({ workers: 'auto', model: { url: new URL('./model.js', import.meta.url), export: 'apply' } });
 * ```
 *
 * @param options workers, and where the model and loss come from in a worker
 * @returns the pool; no worker starts until a stream using it is subscribed
 * @throws {ConfigError} when an option is invalid
 * @see train
 */
export function workerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const config = getOrThrow(validateWorkerPoolOptions(options));
  const peaks = new Array<number>(config.workers).fill(0);
  return {
    workers: config.workers,
    open: (model, loss) => openRun(config, model, loss, peaks),
    peakBytes: () => [...peaks],
  };
}

/** A {@link GradientPool} of worker threads, as {@link workerPool} makes it. */
export interface WorkerPool extends GradientPool {
  /** How many workers each run starts. */
  readonly workers: number;
  /**
   * Per worker, the most tensor bytes it held after computing a micro-batch (its replica's parameters,
   * the micro-batch and its gradients), over every run of this pool so far: flat in the window's size.
   */
  peakBytes(): ReadonlyArray<number>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const moduleRef =
  (field: string) =>
  (value: unknown): E.Either<ConfigError, ModuleRef | undefined> => {
    if (value === undefined) return E.right(undefined);
    const expected = "{ url: a URL or string, export?: a name }";
    if (!isObject(value)) return E.left(new ConfigError(FN, field, value, expected));
    const url = value['url'];
    const name = value['export'] ?? 'default';
    if (!(url instanceof URL || (typeof url === 'string' && url.length > 0)) || typeof name !== 'string' || name === '')
      return E.left(new ConfigError(FN, field, value, expected));
    return E.right({ url: String(url), name });
  };

/** The pure validator behind {@link workerPool}. */
export const validateWorkerPoolOptions = (options: WorkerPoolOptions): E.Either<ConfigError, WorkerPoolConfig> =>
  pipe(
    E.Do,
    E.bind('options', () => (isObject(options) ? E.right(options) : E.left(new ConfigError(FN, 'options', options, 'an object')))),
    E.bind('mainShare', ({ options: o }) =>
      o.mainShare === undefined || typeof o.mainShare === 'boolean'
        ? E.right(o.mainShare ?? true)
        : E.left(new ConfigError(FN, 'mainShare', o.mainShare, 'a boolean')),
    ),
    E.bind('workers', ({ options: o, mainShare }) => {
      const w = o.workers ?? 'auto';
      if (w === 'auto') return E.right(Math.max(1, availableParallelism() - (mainShare ? 1 : 0)));
      return Number.isInteger(w) && (w as number) >= 1 && (w as number) <= 256
        ? E.right(w as number)
        : E.left(new ConfigError(FN, 'workers', w, "an integer in [1, 256] or 'auto'"));
    }),
    E.bind('model', ({ options: o }) => moduleRef('model')(o.model)),
    E.bind('loss', ({ options: o }) => moduleRef('loss')(o.loss)),
    E.bind('workerUrl', ({ options: o }) => {
      const u = o.workerUrl ?? new URL('./worker.js', import.meta.url);
      return u instanceof URL || (typeof u === 'string' && u.length > 0)
        ? E.right(new URL(String(u)))
        : E.left(new ConfigError(FN, 'workerUrl', u, 'a URL'));
    }),
    E.map(({ workers, mainShare, model, loss, workerUrl }) => ({ workers, mainShare, model, loss, workerUrl })),
  );

function modelSpec(config: WorkerPoolConfig, model: Model): WorkerInit['model'] {
  if (config.model) return { kind: 'module', ...config.model };
  const layers = (model as Partial<LayersModelAdapter>).layersModel;
  if (layers) return { kind: 'layers', topology: layers.toJSON(null, false) };
  throw new ConfigError(FN, 'model', undefined, "a module exporting the model ({ url, export }): a pure-function model cannot be sent to a worker (a model from fromLayersModel can)");
}

function lossSpec(config: WorkerPoolConfig, loss: Loss): WorkerInit['loss'] {
  if (config.loss) return { kind: 'module', ...config.loss };
  const builtin = Object.entries(losses).find(([, l]) => l === loss);
  if (builtin) return { kind: 'builtin', name: builtin[0] };
  throw new ConfigError(FN, 'loss', undefined, 'a module exporting the loss ({ url, export }): only a built-in loss reaches a worker by itself');
}

function paramSpecs(params: Params): ReadonlyArray<ParamSpec> {
  let offset = 0;
  return Object.entries(params).map(([name, t]) => {
    if (t.dtype !== 'float32') throw new ConfigError(FN, `parameter '${name}' dtype`, t.dtype, 'float32');
    const spec = { name, shape: [...t.shape], offset, size: t.size };
    offset += t.size;
    return spec;
  });
}

interface Lane {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Its gradient slots, and their states (see WorkerInit). */
  readonly slots: Float32Array;
  readonly slotStates: Int32Array;
  /** Indices (in the open window) sent to this worker, neither answered nor taken by the main thread, oldest first. */
  readonly waiting: number[];
}

/** A micro-batch sent to a worker, kept until answered: the main thread may claim and compute it itself. */
interface Sent {
  readonly lane: Lane;
  readonly batch: Batch;
  /** The claims array in force when it was sent: the one its worker claims it in. */
  readonly claims: Int32Array;
}

/** How long one wait lasts before the main thread checks again that every worker is alive. */
const WAIT_SLICE_MS = 200;

function openRun(config: WorkerPoolConfig, model: Model, loss: Loss, peaks: number[]): GradientPoolRun {
  const specs = paramSpecs(model.params);
  const modelInit = modelSpec(config, model);
  const lossInit = lossSpec(config, loss);
  const total = specs.reduce((n, s) => n + s.size, 0);
  const sharedParams = new SharedArrayBuffer(Math.max(4, total * 4));
  const params = new Float32Array(sharedParams);
  const controlBuffer = new SharedArrayBuffer(4 * controlLength(config.workers));
  const control = new Int32Array(controlBuffer);
  let claimsBuffer = new SharedArrayBuffer(4 * 64);
  let claims = new Int32Array(claimsBuffer);
  /** Workers that have not seen the current claims array yet. */
  const stale = new Set<Lane>();
  const backend = tf.getBackend();
  const fastWasmMatMul = backend === 'wasm' && fastWasmMatMulEnabled();
  const fastWasmKernels = backend === 'wasm' && fastWasmKernelsInForce();

  const lanes: Lane[] = [];
  /** The open window's micro-batches sent to workers and not yet answered, by index. */
  const sent = new Map<number, Sent>();
  const dropSent = (): void => {
    for (const { batch } of sent.values()) disposeBatch(batch);
    sent.clear();
  };
  /** The open window's samples received so far, by index: from the workers (also while submitting) and the main thread. */
  const received = new Map<number, GradientSample>();
  const dropReceived = (): void => {
    for (const r of received.values()) tf.dispose([...Object.values(r.grads), r.loss]);
    received.clear();
  };
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    dropSent();
    dropReceived();
    for (const lane of lanes) {
      lane.port.close();
      void lane.worker.terminate().catch(() => undefined);
    }
  };

  try {
    for (let index = 0; index < config.workers; index++) {
      const { port1, port2 } = new MessageChannel();
      const grads = new SharedArrayBuffer(Math.max(4, GRADIENT_SLOTS * total * 4));
      const slotStates = new SharedArrayBuffer(4 * (GRADIENT_SLOTS + 1));
      const init: WorkerInit = {
        index,
        workers: config.workers,
        control: controlBuffer,
        params: sharedParams,
        specs,
        model: modelInit,
        loss: lossInit,
        backend,
        fastWasmMatMul,
        fastWasmKernels,
        port: port2,
        claims: claimsBuffer,
        grads,
        slotStates,
      };
      const worker = new Worker(config.workerUrl, { workerData: init, transferList: [port2] });
      workerStarted();
      worker.once('exit', workerExited);
      // A worker's uncaught error also reaches us through its port; without a listener, this event
      // would crash the main thread.
      worker.on('error', () => undefined);
      lanes.push({ worker, port: port1, waiting: [], slots: new Float32Array(grads), slotStates: new Int32Array(slotStates) });
    }
  } catch (error) {
    close();
    throw error;
  }

  let window = 0;
  let windowParams: Params | undefined;
  let submitted = 0;
  /** A collect has begun and its last sample has not been read yet. */
  let collecting = false;
  let broken = false;

  const writeParams = (p: Params): void => {
    for (const s of specs) {
      const t = p[s.name];
      if (!t || t.size !== s.size) throw new ConfigError(FN, `params['${s.name}']`, t?.shape, `a tensor of shape [${s.shape.join(', ')}]`);
      params.set(valuesView(t), s.offset);
    }
    // A sequentially consistent write after the plain ones: a worker's atomic read of it orders them.
    Atomics.add(control, PARAMS_WRITTEN, 1);
  };

  /**
   * Marks the run broken, frees everything of the open window, and throws `error`. What the workers have
   * not begun is revoked (they skip it), so they stop computing a window nobody will collect.
   */
  const fail = (error: unknown): never => {
    broken = true;
    for (const [index, { claims: sentWith }] of sent) claim(sentWith, index, window);
    for (const lane of lanes) lane.waiting.length = 0;
    submitted = 0;
    collecting = false;
    dropSent();
    dropReceived();
    throw error;
  };

  /**
   * Reads every worker's messages without waiting, also of one with nothing pending (a failed start is an
   * error even when the main thread computes the whole window). Each sample is copied out of its slot at
   * once, so that the worker can fill the slot again.
   */
  const readMessages = (): boolean => {
    let progressed = false;
    for (const [w, lane] of lanes.entries()) {
      for (;;) {
        const got = receiveMessageOnPort(lane.port);
        if (got === undefined) break;
        progressed = true;
        const message = got.message as WorkerMessage;
        if (message.type === 'error') {
          const what = message.index === undefined ? 'starting' : `micro-batch ${message.index} of window ${window}`;
          fail(new WorkerError(FN, w, what, message, message.index));
        } else {
          // A worker answers what it was sent, in order, and only what it claimed in this window.
          if (message.window !== window || message.index !== lane.waiting[0])
            fail(new Error(`${FN}: worker ${w} answered micro-batch ${message.index} of window ${message.window}, expected ${lane.waiting[0]} of window ${window}`));
          lane.waiting.shift();
          const answered = sent.get(message.index);
          sent.delete(message.index);
          if (answered) disposeBatch(answered.batch);
          peaks[w] = Math.max(peaks[w] ?? 0, message.peakBytes);
          received.set(message.index, toSample(message, lane, specs, total));
        }
      }
    }
    return progressed;
  };

  /** A closed run, or one broken by an error, takes nothing more. */
  const checkUsable = (): void => {
    if (closed || broken) throw new Error(`${FN}: the run is ${closed ? 'closed' : 'broken by an earlier error'}`);
  };

  const submit = (p: Params, batch: Batch): void => {
    let held = false;
    try {
      checkUsable();
      // Its window would be the one still being read, and its sample would never be read: the run breaks.
      if (collecting) fail(new Error(`${FN}: a micro-batch was submitted before the samples of the last collect were all read`));
      if (submitted === 0) {
        // Every window has its own number, also one with the same params object as the last (a skipped
        // update keeps them): a micro-batch still queued at a worker from an earlier window can never be
        // claimed in this one.
        window += 1;
        if (p !== windowParams) {
          // Forgotten first: params half written (a tensor of the wrong shape) are rewritten next time.
          windowParams = undefined;
          writeParams(p);
        }
        windowParams = p;
      } else if (p !== windowParams) throw new Error(`${FN}: the parameters changed in the middle of a window`);
      // Round robin over the workers from the window's first micro-batch: the same assignment in every
      // window and run (the main thread, when it shares, takes from any of them; see collect).
      const lane = lanes[submitted % lanes.length] as Lane;
      if (submitted >= claims.length) {
        // A larger array for the indices from here on; each worker gets it with its next micro-batch, and
        // every micro-batch is claimed in the array it was sent with (see Sent).
        claimsBuffer = new SharedArrayBuffer(claimsBuffer.byteLength * 2);
        claims = new Int32Array(claimsBuffer);
        for (const l of lanes) stale.add(l);
      }
      // Unclaimed in this window: whoever claims it first (the worker, or the main thread later) computes it.
      Atomics.store(claims, submitted, window);
      const xs = encode(batch.xs);
      const ys = encode(batch.ys);
      const message: BatchMessage = { type: 'batch', window, index: submitted, xs, ys, ...(stale.has(lane) ? { claims: claimsBuffer } : {}) };
      lane.port.postMessage(message, transferable([batch.xs, batch.ys], [xs.values, ys.values]));
      // Only once it is on its way: a worker that never got the new array would claim in the old one.
      stale.delete(lane);
      lane.waiting.push(submitted);
      // Kept (not freed) until the worker answers: the main thread may compute it itself.
      sent.set(submitted, { lane, batch, claims });
      held = true;
      submitted += 1;
      // What the workers have finished meanwhile frees their slots (with a source that is slow between
      // micro-batches, they would otherwise stop once their slots are full).
      readMessages();
    } catch (error) {
      // The batch is the window's now: whatever failed once it was taken (reading a worker's answer, say)
      // breaks the run, which frees it with the rest of the window.
      if (held && !broken) fail(error);
      throw error;
    } finally {
      if (!held) disposeBatch(batch);
    }
  };

  /** The sequential path's own code, for a micro-batch the main thread computes. */
  const compute = (index: number, batch: Batch): void => {
    try {
      received.set(index, gradientSample(model, loss, windowParams as Params, batch));
    } finally {
      disposeBatch(batch);
    }
  };

  /**
   * With a main-thread share: claims the first micro-batch of the window that no worker has begun, from
   * whichever worker it was sent to, and computes it. A worker claims its micro-batches in order, and so
   * does the main thread here, so they work through the window from its start and the samples become ready
   * about in order; with one worker, the two threads share one queue and the faster does more. Who computes
   * a micro-batch changes nothing in its sample: the same code on the same backend.
   */
  const computeNext = (): boolean => {
    if (!config.mainShare) return false;
    for (const [index, { lane, batch, claims: sentWith }] of sent) {
      if (!claim(sentWith, index, window)) continue;
      lane.waiting.splice(lane.waiting.indexOf(index), 1);
      sent.delete(index);
      compute(index, batch);
      return true;
    }
    return false;
  };

  /** A dead worker fails the run, also when the main thread could compute its share: a pool that silently shrinks would only look slow. */
  const checkAlive = (): void => {
    for (const [w, lane] of lanes.entries()) {
      if (Atomics.load(control, exitedSlot(w)) !== 1) continue;
      // Messages it sent before dying were read before this check: it died without answering.
      const code = Atomics.load(control, exitCodeSlot(config.workers, w));
      const what = lane.waiting[0] === undefined ? `window ${window}` : `micro-batch ${lane.waiting[0]} of window ${window}`;
      fail(
        new WorkerError(FN, w, what, { name: 'exit', message: `the worker exited with code ${code} before answering`, stack: '', exitCode: code }, lane.waiting[0]),
      );
    }
  };

  /**
   * The window's samples, in submission order, each as soon as it is ready: the caller sums one while the
   * workers compute the next ones. The window is closed at once (the next submit opens a new one, and is
   * refused until its samples have all been read).
   */
  const collect = (): Iterable<GradientSample> => {
    checkUsable();
    const count = submitted;
    if (count === 0) return [];
    collecting = true;
    return samplesOf(count);
  };

  /**
   * Waiting for a sample, the main thread reads what the workers sent, or computes a micro-batch nobody has
   * begun (with `mainShare`), or waits in timed slices.
   */
  function* samplesOf(count: number): Generator<GradientSample, void, undefined> {
    let finished = false;
    try {
      for (let index = 0; index < count; index++) {
        while (!received.has(index)) {
          // Closed or broken while the caller held a sample: nothing more will come.
          checkUsable();
          const seen = Atomics.load(control, EVENTS);
          if (readMessages() || computeNext()) continue;
          checkAlive();
          // Timed: while this thread waits, no event can reach it, so it wakes now and then to look again.
          Atomics.wait(control, EVENTS, seen, WAIT_SLICE_MS);
        }
        if (index === count - 1) {
          // The window is complete; what the workers said meanwhile (a failed start, an exit) still counts.
          readMessages();
          checkAlive();
          submitted = 0;
          collecting = false;
          finished = true;
        }
        const sample = received.get(index) as GradientSample;
        // The caller's from here on.
        received.delete(index);
        yield sample;
      }
    } catch (error) {
      // Whatever failed (a worker, the main thread's own micro-batch, this code), nothing of the window is
      // kept, and the run is unusable.
      if (broken || closed) throw error;
      fail(error);
    } finally {
      // Left before its end (the caller stopped reading): the rest of the window is nobody's.
      if (!finished && !broken && !closed) {
        try {
          fail(new Error(`${FN}: a window's samples were not all read`));
        } catch {
          // Freed and marked broken; the caller left on purpose.
        }
      }
    }
  }

  return { submit, collect, close };
}

/** The buffers of `arrays` (the reads of `tensors`) that are fresh copies spanning their buffer whole: transferred rather than cloned. */
function transferable(tensors: ReadonlyArray<tf.Tensor>, arrays: ReadonlyArray<ArrayLike<number>>): ArrayBuffer[] {
  return arrays.flatMap((a, i) =>
    // A fresh read of a tensor on the wasm heap; on cpu, dataSync returns the backend's own array.
    readsFresh(tensors[i] as tf.Tensor) && ArrayBuffer.isView(a) && a.byteLength > 0 && spansWhole(a) ? [a.buffer as ArrayBuffer] : [],
  );
}

function encode(t: tf.Tensor): EncodedTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool')
    throw new ConfigError(FN, 'batch dtype', t.dtype, 'float32, int32 or bool');
  return { values: t.dataSync() as ArrayLike<number>, shape: [...t.shape], dtype: t.dtype };
}

function toSample(message: Extract<WorkerMessage, { type: 'sample' }>, lane: Lane, specs: ReadonlyArray<ParamSpec>, total: number): GradientSample {
  const region = lane.slots.subarray(message.slot * total, (message.slot + 1) * total);
  const grads: Record<string, tf.Tensor> = {};
  try {
    for (const s of specs) grads[s.name] = tensorFromBorrowed(region.subarray(s.offset, s.offset + s.size), s.shape);
    return { grads, loss: tf.scalar(message.loss, 'float32'), count: message.count, examples: message.examples };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  } finally {
    // Copied out (or failed): the worker may fill the slot again.
    Atomics.store(lane.slotStates, message.slot, SLOT_FREE);
    Atomics.add(lane.slotStates, SLOTS_FREED, 1);
    Atomics.notify(lane.slotStates, SLOTS_FREED);
  }
}
