import type { MessagePort } from 'node:worker_threads';
import type { LossSpec, ModelSpec, ParamSpec } from '../../parallel/internal/protocol.js';

// The messages and the shared-memory layout are node-free (lib/parallel/internal/protocol.ts); the slot
// count is named here too, for the tests that fill every slot of a worker.
export { GRADIENT_SLOTS } from '../../parallel/internal/protocol.js';

/** What a worker starts from (its `workerData`). */
export interface WorkerInit {
  readonly index: number;
  readonly workers: number;
  /** Int32, laid out as lib/parallel/internal/protocol.ts says (EVENTS, PARAMS_WRITTEN, exits). */
  readonly control: SharedArrayBuffer;
  readonly params: SharedArrayBuffer;
  readonly specs: ReadonlyArray<ParamSpec>;
  readonly model: ModelSpec;
  readonly loss: LossSpec;
  readonly backend: string;
  readonly fastWasmMatMul: boolean;
  /** useFastWasmKernels() is in force on the main thread. */
  readonly fastWasmKernels: boolean;
  readonly port: MessagePort;
  /** The claims array (see BatchMessage). */
  readonly claims: SharedArrayBuffer;
  /**
   * This worker's gradient slots: GRADIENT_SLOTS regions of every parameter's gradient (float32, laid
   * out as `params`), and their states (Int32, one per slot: SLOT_FREE or SLOT_FULL; then at SLOTS_FREED
   * a counter the main thread bumps, and notifies, each time it frees one).
   */
  readonly grads: SharedArrayBuffer;
  readonly slotStates: SharedArrayBuffer;
}
