import type { Params } from '../../lib/params/types.js';
import type { TrainStep } from '../../lib/train/types.js';

/** A hand-made train step: `examples` in this window, `seen` in all, and the given numbers. */
export function fakeStep(fields: {
  step: number;
  examples: number;
  seen: number;
  loss?: number;
  gradNorm?: number;
  learningRate?: number;
  params?: Params;
}): TrainStep {
  const params = fields.params ?? {};
  return {
    step: fields.step,
    microBatches: 1,
    examples: fields.examples,
    loss: fields.loss ?? 1,
    gradNorm: fields.gradNorm ?? 0.5,
    ...(fields.learningRate === undefined ? {} : { learningRate: fields.learningRate }),
    skippedMicroBatches: 0,
    skippedUpdates: 0,
    params,
    state: {
      params,
      optimizerState: undefined,
      step: fields.step,
      microBatches: fields.step,
      examples: fields.seen,
      skippedMicroBatches: 0,
      skippedUpdates: 0,
    },
  };
}

/** Steps of `window` examples each, numbered from 1. */
export const stepsOf = (window: number, count: number): TrainStep[] =>
  Array.from({ length: count }, (_, i) => fakeStep({ step: i + 1, examples: window, seen: window * (i + 1), loss: 2 / (i + 1) }));
