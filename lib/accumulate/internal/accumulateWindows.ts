import { concatWith, defer, finalize, type OperatorFunction } from 'rxjs';
import type { GradientSample } from '../../gradients/types.js';
import { inOrder } from '../../internal/inOrder.js';
import type { AccumulatedGradients, WindowState } from '../types.js';
import { disposeSample } from './disposeSample.js';
import { runningWindow } from './runningWindow.js';
import type { WindowConfig } from './windowTypes.js';

/** What {@link accumulateWindows} takes beyond the configuration: what `train` needs of it. */
export interface WindowsOptions {
  /** An open window to resume from (a checkpoint's): copied, so it stays its owner's. */
  readonly initial?: WindowState;
  /**
   * Asked when the source completes: a function to hand the open window to (with its tensors) instead
   * of finishing it, or `undefined` to finish it as `partialWindow` says. `train` takes it on a stop.
   */
  readonly handOver?: () => ((open: WindowState) => void) | undefined;
}

/**
 * The operator behind {@link accumulate}, which is a thin wrapper of it over a validated configuration,
 * and which `train` composes: samples in, one closed window out per window, the partial one at
 * completion.
 *
 * Ownership: takes each sample (disposed once added, or when still waiting as the stream ends); frees
 * its open window on completion, error and unsubscribe, unless it was handed over. Each emitted window's
 * `grads` belong to the subscriber.
 */
export function accumulateWindows(
  config: WindowConfig,
  options: WindowsOptions = {},
): OperatorFunction<GradientSample, AccumulatedGradients> {
  // Standard operators only: they stop a synchronous source as soon as the stream ends, and `finalize`
  // frees the open window on completion, error and unsubscribe alike. In order: a sample pushed from
  // inside a subscriber waits until the current window has been delivered (and is freed if the stream
  // ends meanwhile), so windows come out in the order of their samples.
  return (source) =>
    defer(() => {
      const window = runningWindow(config, options.initial);
      return source.pipe(
        inOrder((sample: GradientSample) => window.add(sample), disposeSample),
        concatWith(
          defer(() => {
            const handOver = options.handOver?.();
            if (handOver === undefined) return window.finish();
            handOver(window.take());
            return [];
          }),
        ),
        finalize(() => window.release()),
      );
    });
}
