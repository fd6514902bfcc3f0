// The script every workerPool worker runs: it builds its replica of the model, then turns each micro-batch
// it is sent into a gradient sample with the window's parameters, read from shared memory.
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { useFastWasmKernels } from '../backends/useFastWasmKernels.js';
import { useFastWasmMatMul } from '../backends/useFastWasmMatMul.js';
import { useWasmConvGradients } from '../backends/useWasmConvGradients.js';
import { gradientSample } from '../gradients/gradientSample.js';
import { fromLayersModel } from '../models/fromLayersModel.js';
import * as losses from '../models/losses/index.js';
import type { Loss, Model } from '../models/types.js';
import type { Params } from '../params/types.js';
import { isObject } from '../internal/isObject.js';
import { tensorFromBorrowed, valuesView } from '../internal/valuesView.js';
import { claim } from '../parallel/internal/claims.js';
import {
  EVENTS,
  GRADIENT_SLOTS,
  PARAMS_WRITTEN,
  SLOT_FREE,
  SLOT_FULL,
  SLOTS_FREED,
  exitCodeSlot,
  exitedSlot,
  type BatchMessage,
  type ErrorMessage,
  type SampleMessage,
} from '../parallel/internal/protocol.js';
import { decode } from '../parallel/internal/transfer.js';
import type { WorkerInit } from './internal/protocol.js';

const init = workerData as WorkerInit;
const control = new Int32Array(init.control);
const { port } = init;

/** Every message is followed by a bump of the event counter: the main thread waits on it (timed). */
const post = (message: SampleMessage | ErrorMessage, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
  Atomics.add(control, EVENTS, 1);
  Atomics.notify(control, EVENTS);
};

const errorMessage = (index: number | undefined, error: unknown): ErrorMessage => {
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: 'error', index, name: e.name, message: e.message, stack: e.stack ?? `${e.name}: ${e.message}` };
};

// While the main thread blocks in a wait, no 'exit' or 'error' event can reach it: the worker says it is
// gone through shared memory, which the main thread checks between timed waits.
process.on('exit', (code) => {
  Atomics.store(control, exitCodeSlot(init.workers, init.index), code);
  Atomics.store(control, exitedSlot(init.index), 1);
  Atomics.add(control, EVENTS, 1);
  Atomics.notify(control, EVENTS);
});
process.on('uncaughtException', (error) => {
  post(errorMessage(undefined, error));
  process.exit(70);
});

async function exported<T>(url: string, name: string, what: string): Promise<T> {
  const module = (await import(url)) as Record<string, unknown>;
  const value = module[name];
  if (value === undefined) throw new Error(`${what}: module ${url} has no export '${name}'`);
  return value as T;
}

async function modelOf(spec: WorkerInit['model']): Promise<Model['apply']> {
  if (spec.kind === 'layers') {
    const layers = await tf.models.modelFromJSON({ modelTopology: spec.topology } as tf.io.ModelJSON);
    const model = fromLayersModel(layers);
    const names = Object.keys(model.params);
    const expected = init.specs.map((s) => s.name);
    if (names.length !== expected.length || names.some((n, i) => n !== expected[i]))
      throw new Error(`the model rebuilt in the worker has parameters [${names.join(', ')}], not [${expected.join(', ')}]`);
    return model.apply;
  }
  const value = await exported<unknown>(spec.url, spec.name, 'model');
  if (typeof value === 'function') return value as Model['apply'];
  if (isObject(value) && typeof value['apply'] === 'function') {
    const model = value as unknown as Model;
    return (params, xs, options) => model.apply(params, xs, options);
  }
  throw new Error(`model: export '${spec.name}' of ${spec.url} is neither a Model nor an apply function`);
}

async function lossOf(spec: WorkerInit['loss']): Promise<Loss> {
  if (spec.kind === 'builtin') {
    const loss = (losses as Record<string, Loss>)[spec.name];
    if (!loss) throw new Error(`loss: no built-in loss '${spec.name}'`);
    return loss;
  }
  const value = await exported<unknown>(spec.url, spec.name, 'loss');
  if (typeof value !== 'function') throw new Error(`loss: export '${spec.name}' of ${spec.url} is not a function`);
  return value as Loss;
}

async function start(): Promise<(message: BatchMessage) => void> {
  if (init.backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise in the worker');
    // Kernel registrations are per thread: install here what the main thread installed there.
    useWasmConvGradients();
    if (init.fastWasmKernels) useFastWasmKernels();
    else if (init.fastWasmMatMul) useFastWasmMatMul();
  } else if (!(await tf.setBackend(init.backend))) throw new Error(`backend '${init.backend}' failed to initialise in the worker`);
  await tf.ready();
  // tfjs's cpu backend prints its advice to install tfjs-node on first use, once per thread: the main
  // thread has printed it already, the workers need not repeat it.
  const backend = tf.backend() as { firstUse?: boolean };
  if (backend.firstUse === true) backend.firstUse = false;
  const apply = await modelOf(init.model);
  const model: Model = { params: {}, apply };
  const loss = await lossOf(init.loss);
  const shared = new Float32Array(init.params);
  let claims = new Int32Array(init.claims);
  const total = init.specs.reduce((n, s) => n + s.size, 0);
  const slots = new Float32Array(init.grads);
  const slotStates = new Int32Array(init.slotStates);
  /** A free gradient slot, waiting (in timed slices) while the main thread has yet to empty one. */
  const freeSlot = (): number => {
    for (;;) {
      const freed = Atomics.load(slotStates, SLOTS_FREED);
      for (let slot = 0; slot < GRADIENT_SLOTS; slot++) if (Atomics.load(slotStates, slot) === SLOT_FREE) return slot;
      Atomics.wait(slotStates, SLOTS_FREED, freed, 100);
    }
  };
  let window = -1;
  let params: Params = {};
  let peakBytes = 0;

  return (message) => {
    try {
      if (message.claims) claims = new Int32Array(message.claims);
      // The main thread computed it already (it takes any micro-batch no worker has begun when it would otherwise wait).
      if (!claim(claims, message.index, message.window)) return;
      if (message.window !== window) {
        // The window's parameters, copied out of shared memory once per window (main wrote them before
        // sending this window's first micro-batch; the atomic read orders those writes before ours).
        Atomics.load(control, PARAMS_WRITTEN);
        tf.dispose(Object.values(params));
        params = {};
        window = message.window;
        const next: Record<string, tf.Tensor> = {};
        for (const s of init.specs) next[s.name] = tensorFromBorrowed(shared.subarray(s.offset, s.offset + s.size), s.shape);
        params = next;
      }
      const xs = decode(message.xs);
      const ys = decode(message.ys);
      let sample;
      try {
        sample = gradientSample(model, loss, params, { xs, ys });
      } finally {
        xs.dispose();
        ys.dispose();
      }
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
      // Straight from the backend's memory into a shared slot: no buffer is allocated per micro-batch.
      const slot = freeSlot();
      let lossSum: number;
      try {
        const region = slots.subarray(slot * total, (slot + 1) * total);
        for (const s of init.specs) region.set(valuesView(sample.grads[s.name] as tf.Tensor), s.offset);
        lossSum = sample.loss.dataSync()[0] as number;
      } finally {
        tf.dispose([...Object.values(sample.grads), sample.loss]);
      }
      Atomics.store(slotStates, slot, SLOT_FULL);
      post({ type: 'sample', window: message.window, index: message.index, slot, loss: lossSum, count: sample.count, examples: sample.examples, peakBytes });
    } catch (error) {
      post(errorMessage(message.index, error));
    }
  };
}

start().then(
  (handle) => port.on('message', handle),
  (error: unknown) => post(errorMessage(undefined, error)),
);
