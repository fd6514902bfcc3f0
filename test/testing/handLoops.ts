import * as tf from '@tensorflow/tfjs';
import { bufferCount, defer, finalize, map } from 'rxjs';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { disposeTree, mapParams } from '../../lib/internal/tensorMaps.js';
import { applyUpdates } from '../../lib/optim/applyUpdates.js';
import type { Params } from '../../lib/params/types.js';
import type { Pipeline } from '../../lib/testing/types.js';
import type { TrainState, TrainStep } from '../../lib/train/types.js';

/**
 * A hand-written accumulation loop, as a user might write one, with one of the classic mistakes or none:
 * - `'exact'`: sum the window's gradient sums, divide by its item count, one optimizer update.
 * - `'mean-of-means'`: average each micro-batch's mean gradient, ignoring their sizes.
 * - `'update-per-micro-batch'`: run the optimizer on each micro-batch's share of the gradient and add the
 *   updates (with a constant sgd rate this is exact, but the optimizer's count and schedule advance
 *   once per micro-batch).
 */
export function handLoop(mistake: 'exact' | 'mean-of-means' | 'update-per-micro-batch'): Pipeline {
  return (options) => (batches) =>
    defer(() => {
      const { model, loss, optimizer } = options;
      const k = options.accumulationSteps as number;
      let state: TrainState<unknown> = {
        params: model.params,
        optimizerState: optimizer.init(model.params),
        step: 0,
        microBatches: 0,
        examples: 0,
        skippedMicroBatches: 0,
        skippedUpdates: 0,
      };
      let emitted = false;
      return batches.pipe(
        map((batch) => {
          try {
            return gradientSample(model, loss, state.params, batch);
          } finally {
            tf.dispose([batch.xs, batch.ys]);
          }
        }),
        bufferCount(k),
        map((samples): TrainStep<unknown> => {
          const items = samples.reduce((n, s) => n + s.count, 0);
          const examples = samples.reduce((n, s) => n + s.examples, 0);
          const lossSum = samples.reduce((n, s) => n + s.loss.dataSync()[0]!, 0);
          let optimizerState = state.optimizerState;
          let updates: Params;
          if (mistake === 'update-per-micro-batch') {
            const parts = samples.map((s) => {
              const share = mapParams(s.grads, (g) => tf.div(g, items));
              const [u, next] = optimizer.update(share, optimizerState, state.params);
              disposeTree(share);
              if (optimizerState !== state.optimizerState) disposeTree(optimizerState);
              optimizerState = next;
              return u;
            });
            updates = mapParams(parts[0]!, (_, name) => tf.addN(parts.map((u) => u[name]!)));
            disposeTree(parts);
          } else {
            const grads =
              mistake === 'exact'
                ? mapParams(samples[0]!.grads, (_, name) => tf.tidy(() => tf.div(tf.addN(samples.map((s) => s.grads[name]!)), items)))
                : mapParams(samples[0]!.grads, (_, name) =>
                    tf.tidy(() => tf.div(tf.addN(samples.map((s) => tf.div(s.grads[name]!, s.count))), samples.length)),
                  );
            const [u, next] = optimizer.update(grads, optimizerState, state.params);
            disposeTree(grads);
            optimizerState = next;
            updates = u;
          }
          disposeTree(samples.map((s) => [s.grads, s.loss]));
          const learningRate = optimizer.learningRate?.(state.optimizerState);
          const params = applyUpdates(state.params, updates);
          disposeTree(updates);
          if (emitted) disposeTree(state.params);
          if (optimizerState !== state.optimizerState) disposeTree(state.optimizerState);
          emitted = true;
          state = {
            ...state,
            params,
            optimizerState,
            step: state.step + 1,
            microBatches: state.microBatches + samples.length,
            examples: state.examples + examples,
          };
          return {
            step: state.step,
            microBatches: samples.length,
            examples,
            loss: lossSum / items,
            gradNorm: 0,
            ...(learningRate === undefined ? {} : { learningRate }),
            skippedMicroBatches: 0,
            skippedUpdates: 0,
            params,
            state,
          };
        }),
        finalize(() => {
          if (!emitted) disposeTree(state.optimizerState);
        }),
      );
    });
}
