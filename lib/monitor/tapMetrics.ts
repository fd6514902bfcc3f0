import { defer, tap, type MonoTypeOperatorFunction, type Observer } from 'rxjs';
import { getOrThrow } from '../internal/validate.js';
import { ConfigError } from '../errors/ConfigError.js';
import type { TrainStep } from '../train/types.js';
import { metricEvents } from './internal/metricEvents.js';
import { validateMetricsOptions } from './internal/validateMetricsOptions.js';
import type { MetricEvent, MetricsOptions } from './types.js';

/**
 * Reports a run's metric events on a side channel while its {@link TrainStep}s flow on: the events of
 * {@link metrics}, sent to `observer` (a `Subject` that several consumers subscribed to, say), and the
 * steps passed through untouched, so the last one, whose params and optimizer state belong to the caller
 * when the run ends, stays reachable (`lastValueFrom` gives it).
 *
 * Why a side channel: `metrics()` turns steps into numbers, so after it the params are gone; and sharing
 * a run among consumers with `share()` trains once per subscriber when the source is synchronous (each
 * one subscribes after the previous has run the whole source). With `tapMetrics`, the run is subscribed
 * once, by whoever wants its steps, and every monitor listens to the `Subject` it reports to. Subscribe
 * the monitors before the run starts: a `Subject` does not replay.
 *
 * Events and timing are those of `metrics()` with the same options: for each step, its update event and
 * the evaluations it owes are sent before the step goes on downstream, synchronously, while its params
 * are valid. The observer is told how the run ended: `error` with the run's error; `complete` when the run
 * completes, and also when it is unsubscribed (`take(n)` or `takeWhile` downstream, an interrupted run),
 * after the evaluation of the last update's epoch in both cases, so that file writers waiting for the end
 * finish. (Unlike `tap`, which tells its observer nothing on an unsubscription.) An error thrown by the
 * observer's `next`, or by `evaluate`, fails the run, as in `tap`.
 *
 * ## Example
 * ```ts
 * const events = new Subject<MetricEvent>();
 * events.pipe(filter((e) => e.kind === 'evaluation')).subscribe((e) => console.log(e.epoch, e.testAccuracy));
 * const lossesSeen = lastValueFrom(events.pipe(filter((e) => e.kind === 'update'), toArray()));
 *
 * const last = await lastValueFrom(
 *   batches$.pipe(
 *     train({ model, loss: losses.softmaxCrossEntropy, optimizer, accumulationSteps: 8 }),
 *     tapMetrics(events, { examplesPerEpoch: 8000, evaluate }),
 *   ),
 * );
 * console.log((await lossesSeen).length); // one update event per step
 * // last.params and last.state are the caller's: write them back, save them, or free them.
 * ```
 *
 * @param observer where the events go: a `Subject`, any partial observer, or a function called with each
 * @param options the options of {@link metrics}: epoch length, evaluation, clock and memory probes
 * @returns an operator that passes every step on unchanged
 * @throws {ConfigError} synchronously for an invalid option, or an observer that is neither a function
 *   nor an object
 * @see metrics
 */
export function tapMetrics<S>(
  observer: Partial<Observer<MetricEvent>> | ((event: MetricEvent) => void),
  options: MetricsOptions = {},
): MonoTypeOperatorFunction<TrainStep<S>> {
  const config = getOrThrow(validateMetricsOptions('tapMetrics', options));
  const sink: Partial<Observer<MetricEvent>> =
    typeof observer === 'function'
      ? { next: observer }
      : typeof observer === 'object' && observer !== null
        ? observer
        : (() => {
            throw new ConfigError('tapMetrics', 'observer', observer, 'an Observer, a Subject or a function');
          })();

  return (source) =>
    defer(() => {
      const events = metricEvents(config);
      let ended = false;
      /** Sends events; a failure (in `evaluate`, say) is the observer's error, and the caller's to rethrow. */
      const send = (all: () => Iterable<MetricEvent>): unknown => {
        try {
          for (const event of all()) sink.next?.(event);
          return undefined;
        } catch (error) {
          ended = true;
          sink.error?.(error);
          return error ?? new Error('tapMetrics: undefined thrown');
        }
      };
      const end = (): unknown => {
        if (ended) return undefined;
        const failure = send(() => events.finish());
        if (failure !== undefined) return failure;
        ended = true;
        sink.complete?.();
        return undefined;
      };
      const rethrow = (failure: unknown): void => {
        if (failure !== undefined) throw failure;
      };
      return source.pipe(
        tap({
          next: (step) => rethrow(send(() => events.of(step))),
          error: (error: unknown) => {
            ended = true;
            sink.error?.(error);
          },
          // Completed, or unsubscribed downstream: either way the monitors hear that the run ended. An
          // unsubscription has nowhere to carry an error on, so there a failing last evaluation goes to the
          // observer only; at completion it also fails the run, as in metrics().
          complete: () => rethrow(end()),
          unsubscribe: () => void end(),
        }),
      );
    });
}
