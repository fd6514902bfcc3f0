import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { GRADIENT_SLOTS, type WorkerMessage } from '../../parallel/internal/protocol.js';
import { workerExited, workerStarted } from './liveWorkers.js';
import type { WorkerInit } from './protocol.js';

/** One worker of a run, and what the main thread keeps of it. */
export interface Lane {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Its gradient slots, and their states (see WorkerInit). */
  readonly slots: Float32Array;
  readonly slotStates: Int32Array;
  /** Indices (in the open window) sent to this worker, neither answered nor taken by the main thread, oldest first. */
  readonly waiting: number[];
  /** The claims array its worker claims in: the one sent with its last micro-batch (or at start). */
  claims: SharedArrayBuffer;
}

/** What every worker of a run starts from; each lane adds its index, port and slots. */
export type LaneSetup = Omit<WorkerInit, 'index' | 'port' | 'grads' | 'slotStates'>;

/**
 * Starts `setup.workers` workers of `workerUrl`, each with `total` float32 elements per gradient slot.
 * Should one fail to start, those already started are stopped before the error is thrown.
 */
export function startLanes(workerUrl: URL, setup: LaneSetup, total: number): Lane[] {
  const lanes: Lane[] = [];
  try {
    for (let index = 0; index < setup.workers; index++) {
      const { port1, port2 } = new MessageChannel();
      const grads = new SharedArrayBuffer(Math.max(4, GRADIENT_SLOTS * total * 4));
      const slotStates = new SharedArrayBuffer(4 * (GRADIENT_SLOTS + 1));
      const init: WorkerInit = { ...setup, index, port: port2, grads, slotStates };
      const worker = new Worker(workerUrl, { workerData: init, transferList: [port2] });
      workerStarted();
      worker.once('exit', workerExited);
      // A worker's uncaught error also reaches us through its port; without a listener, this event
      // would crash the main thread.
      worker.on('error', () => undefined);
      lanes.push({ worker, port: port1, waiting: [], slots: new Float32Array(grads), slotStates: new Int32Array(slotStates), claims: setup.claims });
    }
  } catch (error) {
    stopLanes(lanes);
    throw error;
  }
  return lanes;
}

/** Closes every lane's port and terminates its worker (asynchronously: liveWorkers counts it until it exits). */
export function stopLanes(lanes: ReadonlyArray<Lane>): void {
  for (const lane of lanes) {
    lane.port.close();
    void lane.worker.terminate().catch(() => undefined);
  }
}

/** The lane's next message, without waiting; undefined when none is pending. */
export const readLane = (lane: Lane): WorkerMessage | undefined => receiveMessageOnPort(lane.port)?.message as WorkerMessage | undefined;
