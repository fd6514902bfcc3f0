import * as tf from '@tensorflow/tfjs';
import { ACCUMULATING } from './validateAccumulatingOptions.js';

/** What the reporter calls on an accumulating optimizer (recognised by its brand, not its class). */
interface Listener {
  followBatchLogs(logs: Readonly<Record<string, unknown>>): void;
  endEpoch(): void;
}

/**
 * A `model.fit` / `fitDataset` callback that tells a model's accumulating optimizer the size of each batch
 * (tfjs reports it in the batch logs as `size`) and the end of each epoch. Registered once with
 * `tf.registerCallbackConstructor` at verbosity 0, so tfjs adds one to every fit whatever its `verbose`;
 * for a model whose optimizer does not accumulate it does nothing.
 */
class BatchSizeReporter extends tf.Callback {
  private accumulating(): Listener | undefined {
    const optimizer = this.model?.optimizer as (tf.Optimizer & Partial<Record<typeof ACCUMULATING, boolean>>) | undefined;
    return optimizer?.[ACCUMULATING] === true ? (optimizer as unknown as Listener) : undefined;
  }

  override async onBatchBegin(_batch: number, logs?: tf.Logs): Promise<void> {
    // fit sets logs.size just after this call, before it computes the batch's gradient: read it then.
    if (logs !== undefined) this.accumulating()?.followBatchLogs(logs);
  }

  override async onEpochEnd(): Promise<void> {
    this.accumulating()?.endEpoch();
  }
}

let registered = false;

/** Registers {@link BatchSizeReporter} with tfjs-layers, once per process (tfjs refuses a second time). */
export function registerBatchSizeReporter(): void {
  if (registered) return;
  tf.registerCallbackConstructor(0, BatchSizeReporter);
  registered = true;
}
