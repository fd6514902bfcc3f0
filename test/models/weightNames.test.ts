import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { memoryStorage } from '../../lib/checkpoint/memoryStorage.js';
import { saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { disposeTree } from '../../lib/internal/tensorMaps.js';
import { counterPrefix } from '../../lib/models/internal/counterNames.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { weightNames } from '../../lib/models/weightNames.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import type { TrainState } from '../../lib/train/types.js';
import { collect, disposeStep, lazyBatches, mse, randomValues } from '../support/fixtures.js';

/** An MLP whose layers the user did not name: tfjs names them from its process-wide counters. */
const unnamed = () =>
  tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tf.layers.dense({ units: 2 })] });

const namesOf = (m: tf.LayersModel) => weightNames(m).map(([name]) => name);

describe('weightNames', () => {
  it('names unnamed layers by their class and position in the model, not by tfjs\'s process-wide counters', () => {
    const [first, other, second] = [unnamed(), unnamed(), unnamed()];
    expect(first.layers[0]!.name).not.toBe(second.layers[0]!.name);
    const expected = ['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias'];
    expect(namesOf(first)).toEqual(expected);
    expect(namesOf(second)).toEqual(expected);
    for (const m of [first, other, second]) m.dispose();
  });

  it('counts each class on its own and keeps the names the user gave', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, name: 'hidden' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(namesOf(model)).toEqual(['conv2d_1/kernel', 'conv2d_1/bias', 'hidden/kernel', 'hidden/bias', 'dense_1/kernel', 'dense_1/bias']);
    model.dispose();
  });

  it('keeps the names apart when a user\'s name equals a counted one', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, name: 'dense_1' }), tf.layers.dense({ units: 1 })] });
    const names = namesOf(model);
    expect(new Set(names).size).toBe(names.length);
    expect(names.slice(0, 2)).toEqual(['dense_1/kernel#0', 'dense_1/bias#1']);
    model.dispose();
  });

  it('recognises tfjs\'s automatic names only: snake-cased class, then the class and a count', () => {
    expect(counterPrefix('dense_Dense12')).toBe('dense');
    expect(counterPrefix('conv1d_Conv1D3')).toBe('conv1d');
    expect(counterPrefix('batch_normalization_BatchNormalization1')).toBe('batch_normalization');
    expect(counterPrefix('sequential_Sequential2')).toBe('sequential');
    for (const name of ['dense', 'dense_1', 'hidden', 'my_Dense1', 'dense_Dense', 'Dense1']) expect(counterPrefix(name)).toBeUndefined();
  });
});

describe('a checkpoint from a Layers model', () => {
  it('resumes into the same architecture built after another model in the same process', async () => {
    const batch = () => ({ xs: tf.tensor2d(randomValues(12, 5), [4, 3]), ys: tf.zeros([4, 2]) });
    const options = { loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 1 };
    const saving = unnamed();
    const model = fromLayersModel(saving);
    const storage = memoryStorage();
    const before = tf.memory().numTensors;
    const [first] = await collect(lazyBatches([batch]).pipe(train({ model, ...options })));
    await saveCheckpoint(storage, { state: first!.state, fingerprint: fingerprintOf({ model, ...options }) });
    disposeStep(first);

    // The resuming script builds another model first: tfjs's counters have moved on.
    const another = unnamed();
    const resuming = unnamed();
    const resumed = fromLayersModel(resuming);
    const loaded = await loadCheckpoint(storage, { fingerprint: fingerprintOf({ model: resumed, ...options }) });
    const [next] = await collect(lazyBatches([batch]).pipe(train({ model: resumed, ...options, initialState: loaded.state as TrainState<unknown> })));

    expect(next!.step).toBe(2);
    disposeStep(next);
    disposeTree(loaded.state);
    // The two models built since `before` own their variables; freeing them leaves nothing behind.
    for (const m of [another, resuming]) m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    saving.dispose();
  });
});
