// Issue 8, point 5: a typed way to free what a run leaves, for every built-in optimizer's state.
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  adagrad,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  disposeState,
  optimizerFromName,
  rmsprop,
  sgd,
  train,
  type GradientTransformation,
  type TrainStep,
} from '../../lib/index.js';
import { batchData, lazyBatches, mlp, mse, toBatch } from '../support/fixtures.js';

/** Trains 3 updates of a fresh model, frees the model's own params, and returns the last step. */
const run = async <S>(optimizer: GradientTransformation<S>): Promise<TrainStep<S>> => {
  const model = mlp(3, 4, 2);
  const batches = lazyBatches([1, 2, 3].map((seed) => () => toBatch(batchData(4, 3, 2, seed))));
  const last = await lastValueFrom(batches.pipe(train({ model, loss: mse, optimizer, accumulationSteps: 1 })));
  tf.dispose(Object.values(model.params));
  return last;
};

describe('disposeState', () => {
  it.each([
    ['sgd', () => sgd({ learningRate: 0.1 })],
    ['sgd with momentum', () => sgd({ learningRate: 0.1, momentum: 0.9 })],
    ['adam', () => adam({ learningRate: 0.1 })],
    ['adamw', () => adamw({ learningRate: 0.1, weightDecay: 0.01 })],
    ['rmsprop with momentum, centered', () => rmsprop({ learningRate: 0.1, momentum: 0.5, centered: true })],
    ['adagrad', () => adagrad({ learningRate: 0.1 })],
    ['chain(clipByGlobalNorm, adamw)', () => chain(clipByGlobalNorm(1), adamw({ learningRate: 0.1 }))],
    ['optimizerFromName("rmsprop")', () => optimizerFromName('rmsprop', { learningRate: 0.1 })],
  ] as const)('frees the params and the optimizer state a run leaves (%s): tensors back at baseline', async (_, make) => {
    const baseline = tf.memory().numTensors;
    const last = await run(make() as GradientTransformation<unknown>);
    expect(tf.memory().numTensors).toBeGreaterThan(baseline);
    disposeState(last.state);
    expect(tf.memory().numTensors).toBe(baseline);
    // Idempotent: a second call frees nothing more and does not throw.
    disposeState(last.state);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('type-checks on the typed state of a chain, where tf.dispose does not', async () => {
    const last = await run(chain(clipByGlobalNorm(1), adam({ learningRate: 0.1 })));
    const state: Parameters<typeof disposeState<typeof last.state.optimizerState>>[0] = last.state;
    // Never called: only type-checked. A TrainState is not a tf.TensorContainer, the reason disposeState exists.
    // @ts-expect-error TrainState<ChainState<...>> is not assignable to TensorContainer
    const untyped = () => tf.dispose(last.state);
    void untyped;
    disposeState(state);
    expect(last.params['w1']!.isDisposed).toBe(true);
    expect(last.state.optimizerState[1].mu['w1']!.isDisposed).toBe(true);
  });
});

describe('disposeState on a stopped run', () => {
  it('frees the open window of a TrainStopped state too: tensors back at baseline', async () => {
    const model = mlp(3, 4, 2);
    const baseline = tf.memory().numTensors;
    const stop = new Subject<void>();
    const batches = new Subject<ReturnType<typeof toBatch>>();
    const done = lastValueFrom(batches.pipe(train({ model, loss: mse, optimizer: adam({ learningRate: 0.1 }), accumulationSteps: 2, stop })));
    // One update (so the state's params are train's, not the model's), then one micro-batch into the next
    // window, then stop: that window stays open, with its sums.
    for (const seed of [1, 2, 3]) batches.next(toBatch(batchData(4, 3, 2, seed)));
    stop.next();
    const last = await done;
    expect('stopped' in last && last.state.window?.microBatches).toBe(1);
    disposeState(last.state);
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose(Object.values(model.params));
  });
});
