/**
 * Whether `view` covers the whole of a plain ArrayBuffer (not a SharedArrayBuffer): then postMessage may
 * transfer that buffer instead of cloning it, and the receiver gets exactly the view's bytes. Not public.
 */
export const spansWhole = (view: ArrayBufferView): boolean =>
  view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
