/**
 * Case 2, memory: peak tensor bytes above the starting point during one window of N micro-batches
 * (tf.profile's peakBytes minus tf.memory().numBytes before), for train() and for a naive
 * bufferCount(N) pipeline (see `runNaive`), on a lazily produced source. Deterministic: bytes, not time.
 */
import * as tf from '@tensorflow/tfjs';
import type { Examples } from '../../lib/data/types.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { makeLayers, microBatchSource, type ModelName, runNaive, runTrain } from '../internal/fixtures.js';

export interface MemoryResult {
  readonly backend: string;
  readonly model: ModelName;
  /** Bytes of the model's trainable parameters, for scale. */
  readonly paramBytes: number;
  readonly rows: ReadonlyArray<{ readonly n: number; readonly gradstreamBytes: number; readonly naiveBytes: number }>;
  /** gradstream's peak at the largest N over its peak at N = 1 (flat: <= 1.10). */
  readonly gradstreamGrowth: number;
  readonly naiveGrowth: number;
}

async function peakBytes(run: () => void): Promise<number> {
  const start = tf.memory().numBytes;
  const info = await tf.profile(run);
  return info.peakBytes - start;
}

export async function memory(backend: string, examples: Examples, name: ModelName, ns: ReadonlyArray<number>): Promise<MemoryResult> {
  const layers = makeLayers(name);
  const model = fromLayersModel(layers);
  try {
    const paramBytes = Object.values(model.params).reduce((b, p) => b + p.size * 4, 0);
    const rows = [];
    for (const n of ns) {
      const gradstreamBytes = await peakBytes(() => void runTrain(model, microBatchSource(examples, name, n), n));
      const naiveBytes = await peakBytes(() => runNaive(model, microBatchSource(examples, name, n), n));
      rows.push({ n, gradstreamBytes, naiveBytes });
    }
    const first = rows[0]!;
    const last = rows.at(-1)!;
    return {
      backend,
      model: name,
      paramBytes,
      rows,
      gradstreamGrowth: last.gradstreamBytes / first.gradstreamBytes,
      naiveGrowth: last.naiveBytes / first.naiveBytes,
    };
  } finally {
    layers.dispose();
  }
}
