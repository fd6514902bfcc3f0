import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../errors/ConfigError.js';
import type { GradientSample } from '../../gradients/types.js';
import { readsFresh, tensorFromBorrowed, valuesView } from '../../internal/valuesView.js';
import type { Params } from '../../params/types.js';
import { spansWhole } from '../../node/internal/spansWhole.js';
import { FN, PARAMS_WRITTEN, SLOT_FREE, SLOTS_FREED, type EncodedTensor, type ParamSpec, type SampleMessage } from './protocol.js';

// Tensors to and from what crosses between threads: a micro-batch as a message, the window's params and
// the gradients through shared memory.

/** A micro-batch's tensor as a message part; its values are read, the tensor stays the caller's. */
export function encode(t: tf.Tensor): EncodedTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') throw new ConfigError(FN, 'batch dtype', t.dtype, 'float32, int32 or bool');
  return { values: t.dataSync() as ArrayLike<number>, shape: [...t.shape], dtype: t.dtype };
}

/** A micro-batch's tensor, made again from its message (the caller owns it). */
export const decode = (t: EncodedTensor): tf.Tensor => tf.tensor(t.values as number[], [...t.shape], t.dtype);

/** The buffers of `arrays` (the reads of `tensors`) that are fresh copies spanning their buffer whole: transferred rather than cloned. */
export function transferable(tensors: ReadonlyArray<tf.Tensor>, arrays: ReadonlyArray<ArrayLike<number>>): ArrayBuffer[] {
  return arrays.flatMap((a, i) =>
    // A fresh read of a tensor on the wasm heap; on cpu, dataSync returns the backend's own array.
    readsFresh(tensors[i] as tf.Tensor) && ArrayBuffer.isView(a) && a.byteLength > 0 && spansWhole(a) ? [a.buffer as ArrayBuffer] : [],
  );
}

/**
 * Writes the window's params into the shared buffer the workers read them from, then bumps
 * PARAMS_WRITTEN in `control`. Throws a ConfigError, with the buffer half written, for a tensor that does
 * not fit its spec: the caller must then rewrite them before the next window.
 */
export function writeParams(shared: Float32Array, control: Int32Array, specs: ReadonlyArray<ParamSpec>, p: Params): void {
  for (const s of specs) {
    const t = p[s.name];
    if (!t || t.size !== s.size) throw new ConfigError(FN, `params['${s.name}']`, t?.shape, `a tensor of shape [${s.shape.join(', ')}]`);
    shared.set(valuesView(t), s.offset);
  }
  // A sequentially consistent write after the plain ones: a worker's atomic read of it orders them.
  Atomics.add(control, PARAMS_WRITTEN, 1);
}

/**
 * The sample a worker's message names, its gradients copied out of the worker's slot into tensors the
 * caller owns; the slot is freed (and its worker notified) at once, also when the copy fails.
 */
export function sampleFromSlot(message: SampleMessage, slots: Float32Array, slotStates: Int32Array, specs: ReadonlyArray<ParamSpec>, total: number): GradientSample {
  const region = slots.subarray(message.slot * total, (message.slot + 1) * total);
  const grads: Record<string, tf.Tensor> = {};
  try {
    for (const s of specs) grads[s.name] = tensorFromBorrowed(region.subarray(s.offset, s.offset + s.size), s.shape);
    return { grads, loss: tf.scalar(message.loss, 'float32'), count: message.count, examples: message.examples };
  } catch (error) {
    tf.dispose(Object.values(grads));
    throw error;
  } finally {
    // Copied out (or failed): the worker may fill the slot again.
    Atomics.store(slotStates, message.slot, SLOT_FREE);
    Atomics.add(slotStates, SLOTS_FREED, 1);
    Atomics.notify(slotStates, SLOTS_FREED);
  }
}
