import { disposeTree } from '../internal/tensorMaps.js';
import type { TrainState } from './types.js';

/**
 * Frees every tensor of a training state: its parameters, its optimizer state (moments, traces,
 * accumulators, at any depth of a `chain`) and, for a {@link TrainStopped.state}, its open window's
 * running sums. The one call that releases what a run leaves you.
 *
 * Call it on the last step's state once you are done with it (after {@link writeParams}, a checkpoint,
 * or a resumed run that no longer needs it): the last emitted step's `params` and `state` belong to you
 * when the stream ends. `tf.dispose(step.state)` does not type-check (a state is not a `TensorContainer`),
 * and disposing only `step.params` would leave the optimizer state alive. Idempotent.
 *
 * Do not call it on a state whose `params` are still a model's own tensors: before the first update,
 * `train` works on `model.params` (for {@link fromLayersModel}, the Layers model's variables) and an
 * `initialState` stays the caller's; every emitted {@link TrainStep} holds fresh tensors.
 *
 * ## Example
 * ```ts
 * const last = await lastValueFrom(batches$.pipe(train({ model, loss, optimizer: adam({ learningRate: 1e-3 }), accumulationSteps: 4 })));
 * writeParams(model.layersModel, last.params);
 * disposeState(last.state); // params and Adam's moments freed
 * ```
 *
 * @param state a {@link TrainStep.state} (or any {@link TrainState}) that you own; its tensors are disposed
 */
export function disposeState<S>(state: TrainState<S>): void {
  disposeTree(state.params);
  disposeTree(state.optimizerState);
  // A stopped run's open window holds its gradient sum and loss sum: the caller's, like the rest.
  if (state.window !== undefined) disposeTree(state.window);
}
