import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import { ConfigError } from '../../errors/ConfigError.js';
import { meanSquaredError } from '../../models/losses/meanSquaredError.js';
import type { Loss, Model } from '../../models/types.js';
import { batchArbitrary } from '../batchArbitrary.js';
import type { BatchValues, LawOptions } from '../types.js';

export type { LawOptions } from '../types.js';
import { isShape, seededValues } from './values.js';

/** What one run of a law draws: a batch and, when the law makes the model, the model's seed and width. */
export interface Drawn {
  readonly batch: BatchValues;
  readonly hidden: number;
  readonly modelSeed: number;
}

export interface LawSetup {
  readonly loss: Loss;
  readonly numRuns: number;
  readonly seed: number | undefined;
  /** Batches of `min`..`max` examples (and a model for each, when the law makes it). */
  readonly drawn: (min: number, max: number) => fc.Arbitrary<Drawn>;
  /** The model for a run, and whether the law made it (and so disposes its params). */
  readonly modelFor: (drawn: Drawn) => { readonly model: Model; readonly made: boolean };
}

/** Checks a law's options and what it draws; throws a {@link ConfigError} naming the law and the field. */
export function lawSetup(fn: string, options: LawOptions): LawSetup {
  if (typeof options !== 'object' || options === null) throw new ConfigError(fn, 'options', options, 'an object');
  const { model, loss = meanSquaredError, numRuns = 20, seed, labels = 'real' } = options;
  if (model !== undefined && (typeof model !== 'object' || typeof model.apply !== 'function' || typeof model.params !== 'object'))
    throw new ConfigError(fn, 'model', model, 'a Model ({ params, apply })');
  if (typeof loss !== 'function') throw new ConfigError(fn, 'loss', loss, 'a Loss function');
  if (!Number.isInteger(numRuns) || numRuns < 1) throw new ConfigError(fn, 'numRuns', numRuns, 'an integer >= 1');
  if (seed !== undefined && !Number.isInteger(seed)) throw new ConfigError(fn, 'seed', seed, 'an integer');
  if (model !== undefined) {
    if (!isShape(options.xShape)) throw new ConfigError(fn, 'xShape', options.xShape, "one example's input shape (needed with a model)");
    if (!isShape(options.yShape)) throw new ConfigError(fn, 'yShape', options.yShape, "one example's label shape (needed with a model)");
  }
  const userModel = model;
  const drawn = (min: number, max: number): fc.Arbitrary<Drawn> => {
    const shapes = userModel
      ? fc.constant({ x: options.xShape as ReadonlyArray<number>, y: options.yShape as ReadonlyArray<number> })
      : fc.record({ x: fc.integer({ min: 1, max: 4 }).map((d) => [d]), y: fc.integer({ min: 1, max: 3 }).map((k) => [k]) });
    return shapes.chain(({ x, y }) =>
      fc.record({
        batch: batchArbitrary({ xShape: x, yShape: y, minExamples: min, maxExamples: max, labels }),
        hidden: fc.integer({ min: 1, max: 4 }),
        modelSeed: fc.nat({ max: 0xffff }),
      }),
    );
  };
  const modelFor = (d: Drawn): { model: Model; made: boolean } =>
    userModel ? { model: userModel, made: false } : { model: tanhMlp(d), made: true };
  return { loss, numRuns, seed, drawn, modelFor };
}

/** A small tanh MLP as a pure model, sized by the drawn batch. */
function tanhMlp({ batch, hidden: h, modelSeed: seed }: Drawn): Model {
  const d = batch.xShape[1] as number;
  const k = batch.yShape[1] as number;
  return {
    params: {
      w1: tf.tensor2d(seededValues(d * h, seed, 0.8), [d, h]),
      b1: tf.tensor1d(seededValues(h, seed + 1, 0.2)),
      w2: tf.tensor2d(seededValues(h * k, seed + 2, 0.8), [h, k]),
      b2: tf.tensor1d(seededValues(k, seed + 3, 0.2)),
    },
    apply: (p, xs) => tf.tidy(() => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(xs, p['w1']!), p['b1']!)), p['w2']!), p['b2']!)),
  };
}
