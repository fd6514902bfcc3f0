import type { EvaluationEvent, MetricEvent, UpdateEvent } from 'gradstream';

/** An update event with plausible numbers, at `time = 1000 * update`. */
export const updateEvent = (update: number, fields: Partial<UpdateEvent> = {}): UpdateEvent => ({
  kind: 'update',
  update,
  epoch: 1,
  examplesSeen: 256 * update,
  loss: 2.3 / update,
  gradNorm: 1.5,
  learningRate: 0.001,
  skippedMicroBatches: 0,
  examplesPerSecond: 8000,
  msPerUpdate: 32,
  numTensors: 14,
  numBytes: 4096,
  time: 1000 * update,
  ...fields,
});

export const evaluationEvent = (update: number, epoch: number, testAccuracy: number): EvaluationEvent => ({
  kind: 'evaluation',
  update,
  epoch,
  testLoss: 1 - testAccuracy,
  testAccuracy,
  time: 1000 * update + 1,
});

/** A run of `epochs` epochs of `perEpoch` updates each, with an evaluation after each epoch. */
export const runEvents = (epochs: number, perEpoch: number): MetricEvent[] =>
  Array.from({ length: epochs }, (_, e) => [
    ...Array.from({ length: perEpoch }, (_, u) => updateEvent(e * perEpoch + u + 1, { epoch: e + 1 })),
    evaluationEvent((e + 1) * perEpoch, e + 1, 0.8 + 0.05 * e),
  ]).flat();
