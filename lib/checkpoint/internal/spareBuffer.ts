/**
 * One spare buffer for a checkpoint's `weights.bin`: a storage that is done with a file's bytes (fileStorage,
 * once they are on disk) gives their buffer back, and the next save of the same size writes into it. Not
 * public.
 *
 * Why: a fresh large buffer pays a page fault per 4 KiB page at its first touch. On virtual machines that
 * costs far more than the copy itself, and was most of a save's main-thread time (docs/checkpoints.md).
 * One spare holds at most one checkpoint's weights, beside the tensors they are read from.
 */
let spare: ArrayBuffer | undefined;

/** A buffer of `bytes` bytes whose contents are undefined: the caller writes every byte. */
export function takeBuffer(bytes: number): Uint8Array {
  if (spare === undefined || spare.byteLength !== bytes) return new Uint8Array(bytes);
  const buffer = spare;
  spare = undefined;
  return new Uint8Array(buffer);
}

/** Gives `buffer` back; the caller must hold no view of it. It replaces the spare: the newest save's size is the next one's. */
export function giveBack(buffer: ArrayBuffer): void {
  if (buffer.byteLength > 0) spare = buffer;
}
