import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fingerprintOf, type FingerprintOptions } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { memoryStorage } from '../../lib/checkpoint/memoryStorage.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { CheckpointMismatchError } from '../../lib/errors/CheckpointMismatchError.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { adam } from '../../lib/optim/adam.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { sgd } from '../../lib/optim/sgd.js';

const params = () => ({ 'dense/kernel': tf.zeros([3, 2]), 'dense/bias': tf.zeros([2]) });

/** Saves a checkpoint under `saved`, then loads it under `current`; returns the error (or frees the state). */
async function resumeUnder(saved: FingerprintOptions, current: FingerprintOptions, allowChanges?: ReadonlyArray<'learningRate' | 'accumulationSteps'>) {
  const storage = memoryStorage();
  const optimizerState = saved.optimizer.init(saved.model.params);
  await saveCheckpoint(storage, {
    state: { step: 1, microBatches: 4, examples: 32, skippedMicroBatches: 0, skippedUpdates: 0, params: saved.model.params, optimizerState },
    fingerprint: fingerprintOf(saved),
  });
  disposeTree(optimizerState);
  const before = tf.memory().numTensors;
  // The fixtures' parameters are read (shapes) but not needed after this: free them whatever happens.
  onTestFinished(() => disposeTree([saved.model.params, current.model.params]));
  try {
    const loaded = await loadCheckpoint(storage, { fingerprint: fingerprintOf(current), ...(allowChanges ? { allowChanges } : {}) });
    disposeTree(loaded.state);
    return undefined;
  } catch (e) {
    expect(tf.memory().numTensors, 'a refused checkpoint makes no tensor').toBe(before);
    return e;
  }
}

const base = (): FingerprintOptions => ({ model: { params: params() }, optimizer: adam({ learningRate: 0.01 }), accumulationSteps: 4, microBatchSize: 8 });
const fieldsOf = (e: unknown) => {
  expect(e).toBeInstanceOf(CheckpointMismatchError);
  return (e as CheckpointMismatchError).differences.map((d) => [d.field, d.saved, d.current]);
};

describe('a checkpoint saved under another configuration is refused', () => {
  it('another accumulation steps and micro-batch size: each field named with its saved and new value', async () => {
    const e = await resumeUnder(base(), { ...base(), accumulationSteps: 8, microBatchSize: 4 });
    expect(fieldsOf(e)).toEqual([
      ['accumulationSteps', 4, 8],
      ['microBatchSize', 8, 4],
    ]);
    expect((e as Error).message).toContain('accumulationSteps: saved 4, now 8; microBatchSize: saved 8, now 4');
  });

  it('another optimizer, and another hyper-parameter', async () => {
    expect(fieldsOf(await resumeUnder(base(), { ...base(), optimizer: sgd({ learningRate: 0.01 }) }))).toContainEqual(['optimizer.name', 'adam', 'sgd']);
    expect(fieldsOf(await resumeUnder(base(), { ...base(), optimizer: adam({ learningRate: 0.01, beta2: 0.99 }) }))).toEqual([['optimizer.beta2', 0.999, 0.99]]);
    expect(fieldsOf(await resumeUnder(base(), { ...base(), optimizer: chain(clipByGlobalNorm(1), adam({ learningRate: 0.01 })) }))).toContainEqual([
      'optimizer.name',
      'adam',
      'chain',
    ]);
  });

  it('a model whose parameter names or shapes differ', async () => {
    const other = { 'dense/kernel': tf.zeros([3, 5]), 'dense_1/bias': tf.zeros([2]) };
    const e = await resumeUnder(base(), { ...base(), model: { params: other } });
    expect(fieldsOf(e)).toEqual([
      ['params["dense/kernel"].shape', [3, 2], [3, 5]],
      ['params["dense/bias"]', [2], undefined],
      ['params["dense_1/bias"]', undefined, [2]],
    ]);
    expect((e as Error).message).toContain('params["dense/bias"]: saved [2], now absent');
  });

  it('allowChanges lets a deliberate change of the learning rate or of N through, and nothing else', async () => {
    expect(await resumeUnder(base(), { ...base(), optimizer: adam({ learningRate: 0.001 }) }, ['learningRate'])).toBeUndefined();
    expect(await resumeUnder(base(), { ...base(), accumulationSteps: 16 }, ['accumulationSteps'])).toBeUndefined();
    expect(fieldsOf(await resumeUnder(base(), { ...base(), optimizer: adam({ learningRate: 0.001 }) }))).toEqual([['optimizer.learningRate', 0.01, 0.001]]);
    expect(fieldsOf(await resumeUnder(base(), { ...base(), accumulationSteps: 16, microBatchSize: 4 }, ['learningRate', 'accumulationSteps']))).toEqual([
      ['microBatchSize', 8, 4],
    ]);
  });
});
