import { concatMap, concatWith, defer, type OperatorFunction } from 'rxjs';
import type { TrainStep } from '../train/types.js';
import { getOrThrow } from '../internal/validate.js';
import { metricEvents } from './internal/metricEvents.js';
import { validateMetricsOptions } from './internal/validateMetricsOptions.js';
import type { MetricEvent, MetricsOptions } from './types.js';

/**
 * Turns the {@link TrainStep}s of `train()` into plain metric events: one `update` event per step,
 * and an `evaluation` event for each epoch that ends. To keep the steps as well (the last one's params
 * are the trained model), use {@link tapMetrics}, which sends these same events to a side channel.
 *
 * Why evaluations are made here rather than merged from another stream: a step's `params` are valid
 * only until the next step is emitted, so the one safe moment to score them, without cloning them, is
 * synchronously within that step's emission, which is where this operator already is. The events it
 * emits carry numbers only, no tensors, so consumers can keep, buffer and serialise them freely.
 *
 * Epochs are counted in examples (`state.examples`, skipped ones included): an update belongs to the
 * epoch in which its window began. Every epoch that ends gets exactly one evaluation event, in order,
 * after the update event of the window in which it ended, scoring that update's parameters. An epoch
 * that ends inside windows dropped by `nonFinite: 'skip-update'` (between two updates) is scored on the
 * next update's parameters, the first still alive after its end; the event's `update` says which
 * parameters were scored (in a resumed run, epochs that ended in dropped windows before its first update
 * are not seen). `evaluate` runs at most once per update, even when one update reports several epochs. If the stream completes (an interrupted run) after an update whose epoch has no evaluation
 * yet, the last parameters are evaluated then, for that epoch. Time spent evaluating is left out of
 * `msPerUpdate` and `examplesPerSecond`. A consumer that stops after an update event (`take(1)`) does not
 * pay for that update's evaluation, and an unsubscription reaches the source at once, even a synchronous
 * one.
 *
 * Several consumers (progress bar, log lines, files, chart): do not `share()` this stream, which, with a
 * synchronous source, runs the whole training for the first subscriber and again for each later one.
 * Report to a `Subject` with {@link tapMetrics} and subscribe the consumers to it before the run starts,
 * or make the events `connectable`, subscribe every consumer, then `connect()` (docs/concepts.md,
 * "Monitoring a run").
 *
 * ## Example
 * ```ts
 * // Scores parameters on a held-out set (testXs, testYs: one-hot labels); reads them, keeps no tensor.
 * const evaluate = (params: Params): Evaluation =>
 *   tf.tidy(() => {
 *     const predictions = model.apply(params, testXs, { training: false }); // Dropout off, BatchNorm stats untouched
 *     const testLoss = losses.softmaxCrossEntropy(testYs, predictions).mean().dataSync()[0]!;
 *     const testAccuracy = tf.equal(predictions.argMax(-1), testYs.argMax(-1)).mean().dataSync()[0]!;
 *     return { testLoss, testAccuracy };
 *   });
 * batches$
 *   .pipe(
 *     train({ model, loss: losses.softmaxCrossEntropy, optimizer, accumulationSteps: 8 }),
 *     metrics({ examplesPerEpoch: 8000, evaluate }),
 *   )
 *   .subscribe((e) => console.log(e.kind, e.update, e.kind === 'update' ? e.loss : e.testAccuracy));
 * // The last step's params are out of reach here; to keep them, use tapMetrics instead.
 * ```
 *
 * @param options epoch length, evaluation, clock and memory probes
 * @returns an operator from train steps to metric events; an error thrown by `evaluate` goes down the
 *   error channel
 * @throws ConfigError synchronously for an invalid option
 */
export function metrics(options: MetricsOptions = {}): OperatorFunction<TrainStep, MetricEvent> {
  const config = getOrThrow(validateMetricsOptions('metrics', options));
  // Standard operators only, so an unsubscription downstream (take(5)) reaches the source at once, even a
  // synchronous one. Each step's events are an iterable, taken one by one: a consumer that stops after an
  // update event does not pay for its evaluation. concatMap keeps a step that arrives while the previous
  // one's events are being delivered waiting, so events stay in order.
  return (source) =>
    defer(() => {
      const events = metricEvents(config);
      return source.pipe(
        concatMap((step) => events.of(step)),
        concatWith(defer(() => events.finish())),
      );
    });
}
