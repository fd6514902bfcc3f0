// Which thread takes which micro-batch. Every micro-batch of a window goes to one worker (round robin), and
// is offered in a shared claims array: whoever claims it first, its worker or the main thread, computes it,
// and the other skips it. A window's number is what is stored, so a micro-batch still queued at a worker
// from an earlier window can never be claimed in a later one.

/** The claims array in force: one Int32 per index of a window; a larger one replaces it when a window outgrows it. */
export interface ClaimsTable {
  readonly buffer: SharedArrayBuffer;
  readonly array: Int32Array;
}

/** A fresh claims array of `length` indices (none offered). */
export function claimsTable(length = 64): ClaimsTable {
  const buffer = new SharedArrayBuffer(4 * length);
  return { buffer, array: new Int32Array(buffer) };
}

/**
 * Offers micro-batch `index` of window `window` (>= 1), unclaimed, and returns the table it was offered in:
 * `table` itself, or a larger one for an index past its end. A larger table serves the indices from here
 * on only; what was offered in the old one is claimed in the old one (each worker gets the new array with
 * its next micro-batch).
 */
export function offer(table: ClaimsTable, index: number, window: number): ClaimsTable {
  let next = table;
  while (index >= next.array.length) next = claimsTable(next.array.length * 2);
  Atomics.store(next.array, index, window);
  return next;
}

/** Claims micro-batch `index` of window `window` for the caller: true when nobody had. */
export const claim = (claims: Int32Array, index: number, window: number): boolean =>
  Atomics.compareExchange(claims, index, window, -window) === window;

/** Takes back a micro-batch nobody has claimed yet, so that its worker skips it (a window nobody will collect). */
export function revoke(claims: Int32Array, index: number, window: number): void {
  claim(claims, index, window);
}

/** The lane (worker) a window's `index`-th micro-batch goes to: the same assignment in every window and run. */
export const laneFor = (index: number, lanes: number): number => index % lanes;

/**
 * For the main thread: claims the first of `sent` (by index, in the order they were offered) that no worker
 * has begun, each in the array it was offered in, and returns its index; undefined when every one is taken.
 */
export function claimFirst(sent: ReadonlyMap<number, { readonly claims: Int32Array }>, window: number): number | undefined {
  for (const [index, { claims }] of sent) if (claim(claims, index, window)) return index;
  return undefined;
}
