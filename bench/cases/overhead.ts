/**
 * Case 1, overhead: train() against the hand-written tfjs loop doing the same accumulation (see
 * `runHandLoop`), same data, same Adam arithmetic, alternated side by side. Figure: the ratio of median
 * milliseconds per update, train() / hand loop (goal <= 1.03, must be <= 1.05).
 */
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import type { Examples } from '../../lib/data/types.js';
import { alternate, type AlternateOptions, ratio } from '../internal/alternate.js';
import { microBatchSource, makeLayers, type ModelName, runHandLoop, runTrain } from '../internal/fixtures.js';
import { type Summary, summarize } from '../internal/stats.js';

export interface OverheadResult {
  readonly backend: string;
  readonly model: ModelName;
  readonly accumulationSteps: number;
  readonly microBatchSize: number;
  readonly updatesPerIteration: number;
  /** train() / hand loop, ms per update. */
  readonly ratio: Summary;
  readonly trainMsPerUpdate: Summary;
  readonly handMsPerUpdate: Summary;
}

export async function overhead(
  backend: string,
  examples: Examples,
  name: ModelName,
  updates: number,
  timing: AlternateOptions,
): Promise<OverheadResult> {
  const n = 8;
  const trainLayers = makeLayers(name);
  const model = fromLayersModel(trainLayers);
  const handLayers = makeLayers(name);
  const source = () => microBatchSource(examples, name, updates * n);
  try {
    const [t, h] = await alternate(
      [
        { name: 'train()', fn: () => runTrain(model, source(), n) },
        { name: 'hand loop', fn: () => runHandLoop(handLayers, source(), n) },
      ],
      timing,
    );
    const perUpdate = (xs: ReadonlyArray<number>) => summarize(xs.map((x) => x / updates));
    return {
      backend,
      model: name,
      accumulationSteps: n,
      microBatchSize: 32,
      updatesPerIteration: updates,
      ratio: ratio(t!, h!),
      trainMsPerUpdate: perUpdate(t!.roundMedians),
      handMsPerUpdate: perUpdate(h!.roundMedians),
    };
  } finally {
    trainLayers.dispose();
    handLayers.dispose();
  }
}
