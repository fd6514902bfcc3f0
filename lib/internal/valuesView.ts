import * as tf from '@tensorflow/tfjs';

/** What `typedArrayFromHeap` returns on tfjs-backend-wasm: a view on its heap. */
interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  readonly dataIdMap: { has(dataId: object): boolean };
}

/**
 * The values of `t`, without a copy where the backend allows one: on wasm a view on the backend's heap, on
 * cpu the backend's own array; elsewhere (webgl, webgpu) a download, as `dataSync`. To be read at once and
 * never written: the next tfjs call may move or reuse that memory.
 *
 * Why: a fresh read allocates a new buffer each time, and on the machines measured (virtual ones) a fresh
 * buffer costs more in page faults than the copy itself.
 */
export function valuesView(t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  const heap = onWasmHeap(t);
  return heap ? heap.typedArrayFromHeap(t) : (t.dataSync() as Float32Array | Int32Array | Uint8Array);
}

/** Whether `t.dataSync()` returns a fresh copy, which the caller may transfer: true for a tensor on the wasm heap. */
export function readsFresh(t: tf.Tensor): boolean {
  return onWasmHeap(t) !== undefined;
}

/** The wasm backend, when `t` lives on its heap (a live tensor of the current wasm backend). */
function onWasmHeap(t: tf.Tensor): HeapBackend | undefined {
  if (t.isDisposed || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof backend.typedArrayFromHeap === 'function' && backend.dataIdMap?.has(t.dataId) === true ? (backend as HeapBackend) : undefined;
}

/**
 * A tensor made from `values`, which the caller will overwrite later (a slot of shared memory): copied in
 * where the backend keeps the array it is given (cpu), passed as it is where the backend copies (wasm).
 */
export function tensorFromBorrowed(values: Float32Array, shape: ReadonlyArray<number>): tf.Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), [...shape], 'float32');
}
