import * as tf from '@tensorflow/tfjs';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { WindowState } from '../../lib/accumulate/types.js';
import { fingerprintOf } from '../../lib/checkpoint/fingerprintOf.js';
import { loadCheckpoint } from '../../lib/checkpoint/loadCheckpoint.js';
import { memoryStorage } from '../../lib/checkpoint/memoryStorage.js';
import { encodeCheckpoint, saveCheckpoint } from '../../lib/checkpoint/saveCheckpoint.js';
import { disposeTree, mapParams } from '../../lib/internal/tensorMaps.js';
import { adagrad } from '../../lib/optim/adagrad.js';
import { adam } from '../../lib/optim/adam.js';
import { adamw } from '../../lib/optim/adamw.js';
import { addDecayedWeights } from '../../lib/optim/addDecayedWeights.js';
import { chain } from '../../lib/optim/chain.js';
import { clipByGlobalNorm } from '../../lib/optim/clipByGlobalNorm.js';
import { clipByValue } from '../../lib/optim/clipByValue.js';
import { rmsprop } from '../../lib/optim/rmsprop.js';
import { scale } from '../../lib/optim/scale.js';
import { scaleByLearningRate } from '../../lib/optim/scaleByLearningRate.js';
import { sgd } from '../../lib/optim/sgd.js';
import type { GradientTransformation } from '../../lib/optim/types.js';
import type { Params } from '../../lib/params/types.js';
import type { TrainState } from '../../lib/train/types.js';
import { bitsOf } from './support.js';

/** Every built-in optimizer, and chains of them. */
export const optimizers: ReadonlyArray<readonly [string, () => GradientTransformation<unknown>]> = [
  ['sgd', () => sgd({ learningRate: 0.1 })],
  ['momentum', () => sgd({ learningRate: 0.1, momentum: 0.9 })],
  ['nesterov', () => sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
  ['adam', () => adam({ learningRate: 0.01 })],
  ['adamw', () => adamw({ learningRate: 0.01, weightDecay: 0.1 })],
  ['rmsprop', () => rmsprop({ learningRate: 0.01 })],
  ['rmsprop centered with momentum', () => rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true })],
  ['adagrad', () => adagrad({ learningRate: 0.1 })],
  ['chain(clipByGlobalNorm, adam)', () => chain(clipByGlobalNorm(1), adam({ learningRate: 0.01 }))],
  ['chain(clipByValue, addDecayedWeights, scaleByLearningRate)', () => chain(clipByValue(-1, 1), addDecayedWeights(0.01), scaleByLearningRate(0.1))],
  ['chain(scale, chain(sgd momentum))', () => chain(scale(0.5), chain(sgd({ learningRate: 0.1, momentum: 0.5 })))],
];

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}(\/[a-z][a-z0-9_]{0,6}){0,2}$/);
const shape = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 });
/** Random parameter maps: names with '/', ranks 0 to 3, any float32 bits (NaN, ±0, ±∞ included). */
const paramSpecs = fc.uniqueArray(fc.record({ name, shape }), { minLength: 1, maxLength: 5, selector: (p) => p.name });
const withValues = paramSpecs.chain((specs) =>
  fc.tuple(
    ...specs.map((s) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      return fc.float32Array({ minLength: n, maxLength: n }).map((values) => ({ ...s, values }));
    }),
  ),
);
const counters = fc.record({
  step: fc.nat(1e6),
  microBatches: fc.nat(1e7),
  examples: fc.nat(1e8),
  skippedMicroBatches: fc.nat(100),
  skippedUpdates: fc.nat(100),
});

const makeParams = (specs: ReadonlyArray<{ name: string; shape: number[]; values: Float32Array }>): Params =>
  Object.fromEntries(specs.map((s) => [s.name, tf.tensor(s.values, s.shape, 'float32')]));

/** A state after `updates` real optimizer updates, so that every moment holds values. */
function stateAfter(opt: GradientTransformation<unknown>, params: Params, updates: number): unknown {
  let state = opt.init(params);
  for (let i = 0; i < updates; i++) {
    const grads = tf.tidy(() => mapParams(params, (p) => tf.sin(tf.add(tf.mul(tf.onesLike(p), i + 1), tf.range(0, p.size).reshape(p.shape)))));
    const [u, next] = opt.update(grads, state, params);
    disposeTree([grads, u, state]);
    state = next;
  }
  return state;
}

describe('checkpoint round trip', () => {
  it('saving and loading any TrainState gives bit-identical tensors and the same counters, for every optimizer, with no leak', async () => {
    await fc.assert(
      fc.asyncProperty(
        withValues,
        fc.constantFrom(...optimizers),
        counters,
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        async (specs, [, make], count, updates, withWindow) => {
          const before = tf.memory().numTensors;
          const opt = make();
          const params = makeParams(specs);
          const optimizerState = stateAfter(opt, params, updates);
          const window: WindowState | undefined = withWindow
            ? { updates: count.step, size: 4, microBatches: 2, examples: 7, skippedMicroBatches: 0, count: 7, poisoned: false, sum: mapParams(params, (p) => tf.neg(p)), lossSum: tf.scalar(1.5) }
            : undefined;
          const state: TrainState<unknown> = { ...count, params, optimizerState, ...(window ? { window } : {}) };
          const fingerprint = fingerprintOf({ model: { params }, optimizer: opt, accumulationSteps: 4 });
          const storage = memoryStorage();

          await saveCheckpoint(storage, { state, fingerprint, random: { seed: 7 } });
          const loaded = await loadCheckpoint(storage, { fingerprint });

          expect(bitsOf(loaded.state)).toEqual(bitsOf(state));
          expect(loaded.random).toEqual({ seed: 7 });
          expect(loaded.position.examples).toBe(count.examples + (window?.examples ?? 0));
          disposeTree([state, loaded.state]);
          expect(tf.memory().numTensors, 'tensors left alive').toBe(before);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps int32 and bool tensors exactly, and non-finite numbers in the JSON', async () => {
    const before = tf.memory().numTensors;
    const params = { w: tf.tensor1d([1, 2]) };
    const optimizerState = { count: 3, ids: tf.tensor1d([-7, 2 ** 31 - 1], 'int32'), mask: tf.tensor1d([1, 0, 1], 'bool'), scale: Number.NaN, top: -Infinity, tag: 'x', off: null };
    const state = { step: 1, microBatches: 2, examples: 3, skippedMicroBatches: 0, skippedUpdates: 0, params, optimizerState };
    const fingerprint = fingerprintOf({ model: { params }, optimizer: sgd({ learningRate: 1 }), accumulationSteps: 1 });
    const storage = memoryStorage();
    await saveCheckpoint(storage, { state, fingerprint });
    const loaded = await loadCheckpoint(storage, { fingerprint });
    expect(bitsOf(loaded.state)).toEqual(bitsOf(state));
    disposeTree([state, loaded.state]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes the parameters under their own names in a tfjs weightsManifest that tf.io.decodeWeights reads', async () => {
    const params = { 'dense/kernel': tf.tensor2d([[1, 2], [3, 4]]), 'dense/bias': tf.tensor1d([0.5, -0.5]) };
    const opt = adam({ learningRate: 0.01 });
    const optimizerState = opt.init(params);
    const state = { step: 0, microBatches: 0, examples: 0, skippedMicroBatches: 0, skippedUpdates: 0, params, optimizerState };
    const storage = memoryStorage();
    const saved = await saveCheckpoint(storage, { state, fingerprint: fingerprintOf({ model: { params }, optimizer: opt, accumulationSteps: 2 }) });
    const json = JSON.parse(new TextDecoder().decode(await storage.read(saved, 'checkpoint.json', 1e6))) as { weightsManifest: tf.io.WeightsManifestConfig };
    const weights = await storage.read(saved, 'weights.bin', 1e6);

    const decoded = tf.io.decodeWeights(weights.slice().buffer, json.weightsManifest.flatMap((g) => g.weights));

    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(Array.from(decoded['dense/kernel']!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(decoded['dense/bias']!.dataSync())).toEqual([0.5, -0.5]);
    disposeTree([decoded, params, optimizerState]);
  });

  it("writes weights.bin and its manifest byte for byte as tf.io.encodeWeights does, for float32, int32 and bool", async () => {
    const params = { 'dense/kernel': tf.tensor2d([[1.5, -2], [3, 4e-20]]), b: tf.tensor1d([Number.NaN, -0]) };
    const optimizerState = { ids: tf.tensor1d([-7, 2 ** 31 - 1], 'int32'), mask: tf.tensor1d([1, 0, 1], 'bool'), big: tf.randomNormal([300, 7], 0, 1, 'float32', 5) };
    const state = { step: 1, microBatches: 2, examples: 3, skippedMicroBatches: 0, skippedUpdates: 0, params, optimizerState };
    const files = await encodeCheckpoint(state, fingerprintOf({ model: { params }, optimizer: sgd({ learningRate: 1 }), accumulationSteps: 1 }), null);
    const json = JSON.parse(new TextDecoder().decode(files.get('checkpoint.json'))) as { weightsManifest: tf.io.WeightsManifestConfig };
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    const expected = await tf.io.encodeWeights(specs.map((spec) => ({ name: spec.name, tensor: spec.name in params ? params[spec.name as keyof typeof params] : optimizerState[spec.name.split('/').pop() as keyof typeof optimizerState] })));

    expect(specs).toEqual(expected.specs);
    expect(Array.from(files.get('weights.bin') as Uint8Array)).toEqual(Array.from(new Uint8Array(expected.data)));
    disposeTree(state);
  });

  it('keeps the newest K checkpoints and moves latest to the newest', async () => {
    const params = { w: tf.tensor1d([1]) };
    const fingerprint = fingerprintOf({ model: { params }, optimizer: sgd({ learningRate: 1 }), accumulationSteps: 1 });
    const storage = memoryStorage();
    for (let step = 1; step <= 5; step++)
      await saveCheckpoint(storage, { state: { step, microBatches: step, examples: step, skippedMicroBatches: 0, skippedUpdates: 0, params, optimizerState: { count: step } }, fingerprint, keep: 2 });
    expect(await storage.list()).toEqual(['step-000000004-000000000004', 'step-000000005-000000000005']);
    expect(await storage.latest()).toBe('step-000000005-000000000005');
    params.w.dispose();
  });
});
