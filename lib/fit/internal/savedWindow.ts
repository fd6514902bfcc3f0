import * as tf from '@tensorflow/tfjs';
import { emptyWindow } from '../../accumulate/internal/windowState.js';
import type { WindowState } from '../../accumulate/types.js';
import { BatchError } from '../../errors/BatchError.js';
import { describeValue } from '../../internal/describeValue.js';
import type { NamedTensor } from './gradientList.js';

/** The prefix of the weights an accumulating optimizer adds to its inner optimizer's in `getWeights`. */
const PREFIX = 'gradstream.accumulating/';
const COUNTS = `${PREFIX}counts`;
const SUM = `${PREFIX}sum/`;

/** An open window as the wrapper keeps it: lib/accumulate's state, and the fit-only parts beside it. */
export interface FitWindow {
  readonly state: WindowState;
  /** Whether its batches carry reported sizes; undefined while it is empty. */
  readonly sized: boolean | undefined;
  /** The variables' names in tfjs's order: the order the inner optimizer sees and the sums are saved in. */
  readonly order: ReadonlyArray<string>;
}

/**
 * The open window as weights, in the format `model.save({ includeOptimizer: true })` has always kept:
 * `counts` = [batches, examples, sized], then `sum/<variable>` per variable in tfjs's order. The counts
 * are a new tensor the caller owns; the sums are the window's, live.
 */
export function windowWeights({ state, sized, order }: FitWindow): NamedTensor[] {
  const sums = state.sum ?? {};
  const counts = tf.tensor1d([state.microBatches, state.examples, sized === true ? 1 : 0]);
  return [{ name: COUNTS, tensor: counts }, ...order.flatMap((name) => (sums[name] ? [{ name: `${SUM}${name}`, tensor: sums[name] }] : []))];
}

/** Saved weights split into the inner optimizer's and, once they are set, the window they held. */
export interface SavedWindow {
  readonly inner: NamedTensor[];
  /** The saved window, with copies of its sums (under the saved names: they are bound at the next batch). */
  readonly open: () => FitWindow;
}

/**
 * Reads what {@link windowWeights} wrote, among the inner optimizer's weights. What is read is untrusted:
 * the counts are checked against `steps` before anything is copied.
 * @throws {BatchError} when the counts are missing or do not fit `steps`
 */
export async function readSavedWindow(fn: string, weightValues: NamedTensor[], steps: number): Promise<SavedWindow> {
  const ours = weightValues.filter((w) => w.name.startsWith(PREFIX));
  const inner = weightValues.filter((w) => !w.name.startsWith(PREFIX));
  const counts = ours.find((w) => w.name === COUNTS);
  if (counts === undefined) throw new BatchError(fn, `no '${COUNTS}' weight among ${describeValue(ours.map((w) => w.name))}`, weightValues.map((w) => w.name));
  const [batches = NaN, examples = NaN, sized = NaN] = Array.from(await counts.tensor.data(), Number);
  if (!Number.isInteger(batches) || batches < 0 || batches >= steps || !(examples >= batches))
    throw new BatchError(fn, `the saved window counts ${describeValue([batches, examples])} do not fit steps ${steps}`, [batches, examples]);
  const saved = ours.filter((w) => w.name.startsWith(SUM));
  const open = (): FitWindow => {
    if (batches === 0) return { state: emptyWindow(0), sized: undefined, order: [] };
    const sum: Record<string, tf.Tensor> = {};
    for (const w of saved) sum[w.name.slice(SUM.length)] = tf.keep(tf.clone(w.tensor));
    // Every saved batch was one sample of the window: its weight is its count and its examples.
    const state = { ...emptyWindow(0), size: steps, microBatches: batches, examples, count: examples, sum };
    return { state, sized: sized === 1, order: Object.keys(sum) };
  };
  return { inner, open };
}
