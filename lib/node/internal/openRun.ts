import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { fastWasmMatMulEnabled } from '../../backends/fastWasmMatMulEnabled.js';
import { fastWasmKernelsInForce } from '../../backends/useFastWasmKernels.js';
import type { Batch } from '../../batch/types.js';
import { gradientSample } from '../../gradients/gradientSample.js';
import type { GradientSample } from '../../gradients/types.js';
import { disposeBatch } from '../../internal/disposeBatch.js';
import type { Loss, Model } from '../../models/types.js';
import type { Params } from '../../params/types.js';
import { claimFirst, claimsTable, laneFor, offer, revoke } from '../../parallel/internal/claims.js';
import { exitedWorker, workerFailed } from '../../parallel/internal/liveness.js';
import type { WorkerPoolConfig } from '../../parallel/internal/options.js';
import { broke, closedWindow, collected, collectStarted, initialWindow, isOver, paramsForgotten, submitted, unusable, type PoolWindow } from '../../parallel/internal/poolWindow.js';
import { controlLength, EVENTS, FN, type BatchMessage } from '../../parallel/internal/protocol.js';
import { encode, sampleFromSlot, transferable, writeParams } from '../../parallel/internal/transfer.js';
import { lossSpec, modelSpec, paramSpecs, totalSize } from '../../parallel/internal/workerSpecs.js';
import type { GradientPoolRun } from '../../parallel/types.js';
import { readLane, startLanes, stopLanes, type Lane } from './lanes.js';

/** A micro-batch sent to a worker, kept until answered: the main thread may claim and compute it itself. */
interface Sent {
  readonly lane: Lane;
  readonly batch: Batch;
  /** The claims array in force when it was sent: the one its worker claims it in. */
  readonly claims: Int32Array;
}

/** How long one wait lasts before the main thread checks again that every worker is alive. */
const WAIT_SLICE_MS = 200;

/**
 * One run of a worker pool: starts its workers and drives the window state machine (poolWindow), the
 * claims and the transfers; owns the open window's micro-batches and samples. `peaks` (one per worker) is
 * raised by what the workers report.
 */
export function openRun(config: WorkerPoolConfig, model: Model, loss: Loss, peaks: number[]): GradientPoolRun {
  // Checked before any worker starts: what cannot reach a worker fails here.
  const specs = paramSpecs(model.params);
  const modelInit = modelSpec(config, model);
  const lossInit = lossSpec(config, loss);
  const total = totalSize(specs);
  const sharedParams = new SharedArrayBuffer(Math.max(4, total * 4));
  const params = new Float32Array(sharedParams);
  const controlBuffer = new SharedArrayBuffer(4 * controlLength(config.workers));
  const control = new Int32Array(controlBuffer);
  let claims = claimsTable();
  const backend = tf.getBackend();
  const fast = { fastWasmMatMul: backend === 'wasm' && fastWasmMatMulEnabled(), fastWasmKernels: backend === 'wasm' && fastWasmKernelsInForce() };
  const setup = { workers: config.workers, control: controlBuffer, params: sharedParams, specs, model: modelInit, loss: lossInit, backend, ...fast };
  const lanes = startLanes(config.workerUrl, { ...setup, claims: claims.buffer }, total);

  let state: PoolWindow = initialWindow;
  /** The open window's micro-batches sent to workers and not yet answered, by index. */
  const sent = new Map<number, Sent>();
  /** The open window's samples received so far, by index: from the workers (also while submitting) and the main thread. */
  const received = new Map<number, GradientSample>();
  const dropWindow = (): void => {
    for (const { batch } of sent.values()) disposeBatch(batch);
    sent.clear();
    for (const r of received.values()) tf.dispose([...Object.values(r.grads), r.loss]);
    received.clear();
  };

  const close = (): void => {
    if (state.phase === 'closed') return;
    state = closedWindow(state);
    dropWindow();
    stopLanes(lanes);
  };

  /**
   * Marks the run broken, frees everything of the open window, and throws `error`. What the workers have
   * not begun is revoked (they skip it), so they stop computing a window nobody will collect.
   */
  const fail = (error: unknown): never => {
    for (const [index, { claims: sentWith }] of sent) revoke(sentWith, index, state.window);
    for (const lane of lanes) lane.waiting.length = 0;
    state = broke(state);
    dropWindow();
    throw error;
  };

  const checkUsable = (): void => {
    const error = unusable(state);
    if (error) throw error;
  };

  /** A dead worker fails the run, also when the main thread could compute its share: a pool that silently shrinks would only look slow. */
  const checkAlive = (): void => {
    const dead = exitedWorker(control, lanes, state.window);
    if (dead) fail(dead);
  };

  /**
   * Reads every worker's messages without waiting, also of one with nothing pending (a failed start is an
   * error even when the main thread computes the whole window). Each sample is copied out of its slot at
   * once, so that the worker can fill the slot again.
   */
  const readMessages = (): boolean => {
    let progressed = false;
    for (const [w, lane] of lanes.entries()) {
      for (let message = readLane(lane); message !== undefined; message = readLane(lane)) {
        progressed = true;
        if (message.type === 'error') fail(workerFailed(w, message, state.window));
        else {
          // A worker answers what it was sent, in order, and only what it claimed in this window.
          if (message.window !== state.window || message.index !== lane.waiting[0])
            fail(new Error(`${FN}: worker ${w} answered micro-batch ${message.index} of window ${message.window}, expected ${lane.waiting[0]} of window ${state.window}`));
          lane.waiting.shift();
          const answered = sent.get(message.index);
          sent.delete(message.index);
          if (answered) disposeBatch(answered.batch);
          peaks[w] = Math.max(peaks[w] ?? 0, message.peakBytes);
          received.set(message.index, sampleFromSlot(message, lane.slots, lane.slotStates, specs, total));
        }
      }
    }
    return progressed;
  };

  const submit = (p: Params, batch: Batch): void => {
    let held = false;
    try {
      const step = submitted(state, p);
      if (E.isLeft(step)) {
        if (step.left.breaks) fail(step.left.error);
        throw step.left.error;
      }
      const { window, index, next } = step.right;
      if (step.right.writeParams) {
        state = paramsForgotten(state);
        writeParams(params, control, specs, p);
      }
      const lane = lanes[laneFor(index, lanes.length)] as Lane;
      claims = offer(claims, index, window);
      const xs = encode(batch.xs);
      const ys = encode(batch.ys);
      // A worker that has not seen the current claims array yet gets it with this micro-batch.
      const message: BatchMessage = { type: 'batch', window, index, xs, ys, ...(lane.claims !== claims.buffer ? { claims: claims.buffer } : {}) };
      lane.port.postMessage(message, transferable([batch.xs, batch.ys], [xs.values, ys.values]));
      // Only once it is on its way: a worker that never got the new array would claim in the old one.
      lane.claims = claims.buffer;
      lane.waiting.push(index);
      // Kept (not freed) until the worker answers: the main thread may compute it itself.
      sent.set(index, { lane, batch, claims: claims.array });
      held = true;
      state = next;
      // What the workers have finished meanwhile frees their slots (with a source that is slow between
      // micro-batches, they would otherwise stop once their slots are full).
      readMessages();
    } catch (error) {
      // The batch is the window's now: whatever failed once it was taken (reading a worker's answer, say)
      // breaks the run, which frees it with the rest of the window.
      if (held && state.phase !== 'broken') fail(error);
      throw error;
    } finally {
      if (!held) disposeBatch(batch);
    }
  };

  /**
   * With a main-thread share: claims the first micro-batch of the window that no worker has begun, from
   * whichever worker it was sent to, and computes it with the sequential path's own code. A worker claims
   * its micro-batches in order, and so does the main thread here, so they work through the window from its
   * start and the samples become ready about in order; with one worker, the two threads share one queue and
   * the faster does more. Who computes a micro-batch changes nothing in its sample: the same code on the
   * same backend.
   */
  const computeNext = (): boolean => {
    if (!config.mainShare || state.phase !== 'collecting') return false;
    const index = claimFirst(sent, state.window);
    const taken = index === undefined ? undefined : sent.get(index);
    if (index === undefined || taken === undefined) return false;
    taken.lane.waiting.splice(taken.lane.waiting.indexOf(index), 1);
    sent.delete(index);
    try {
      received.set(index, gradientSample(model, loss, state.written, taken.batch));
    } finally {
      disposeBatch(taken.batch);
    }
    return true;
  };

  /**
   * The window's samples, in submission order, each as soon as it is ready: the caller sums one while the
   * workers compute the next ones. The window is closed at once (the next submit opens a new one, and is
   * refused until its samples have all been read).
   */
  const collect = (): Iterable<GradientSample> => {
    const step = collectStarted(state);
    if (E.isLeft(step)) throw step.left;
    state = step.right.next;
    return step.right.count === 0 ? [] : samplesOf(step.right.count);
  };

  /**
   * Waiting for a sample, the main thread reads what the workers sent, or computes a micro-batch nobody has
   * begun (with `mainShare`), or waits in timed slices.
   */
  function* samplesOf(count: number): Generator<GradientSample, void, undefined> {
    // This iteration's own progress: once it has read the window to its end, a later window is not its concern.
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
          state = collected(state);
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
      if (isOver(state)) throw error;
      fail(error);
    } finally {
      // Left before its end (the caller stopped reading): the rest of the window is nobody's.
      if (!finished && !isOver(state)) {
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
