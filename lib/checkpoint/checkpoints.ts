import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { asyncScheduler, concatWith, defer, finalize, from, ignoreElements, mergeWith, Subject, tap, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { ConfigError } from '../errors/ConfigError.js';
import { disposeTree } from '../internal/tensorMaps.js';
import { boolean, getOrThrow, integerAtLeast, positive, withDefault } from '../internal/validate.js';
import type { TrainState, TrainStep, TrainStopped } from '../train/types.js';
import { saveCheckpoint } from './saveCheckpoint.js';
import type { CheckpointStorage, Fingerprint, Json } from './types.js';

/** Options of {@link checkpoints}. */
export interface CheckpointsOptions {
  /** The run's configuration, from {@link fingerprintOf}. */
  readonly fingerprint: Fingerprint;
  /** Save after every `every` updates (an integer >= 1). */
  readonly every?: number;
  /** Save after an update when at least `seconds` have passed since the last save (a number > 0). */
  readonly seconds?: number;
  /** Keep only the newest `keep` checkpoints (an integer >= 1); default: all. */
  readonly keep?: number;
  /** Save the last state when the stream completes, if not saved already (default `true`). */
  readonly final?: boolean;
  /** What to store as the random state (a data seed, say); default `null`. */
  readonly random?: Json;
  /** Told the name of each checkpoint once it is committed. */
  readonly onSaved?: (name: string) => void;
  /** The clock for `seconds` (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

interface Config {
  readonly every: number | undefined;
  readonly seconds: number | undefined;
  readonly keep: number | undefined;
  readonly final: boolean;
}

const FN = 'checkpoints';

const validate = (o: CheckpointsOptions): E.Either<ConfigError, Config> =>
  pipe(
    E.Do,
    E.bind('every', () => withDefault<number | undefined>(integerAtLeast(FN, 'every', 1), undefined)(o.every)),
    E.bind('seconds', () => withDefault<number | undefined>(positive(FN, 'seconds'), undefined)(o.seconds)),
    E.bind('keep', () => withDefault<number | undefined>(integerAtLeast(FN, 'keep', 1), undefined)(o.keep)),
    E.bind('final', () => withDefault(boolean(FN, 'final'), true)(o.final)),
  );

/** Copies of every tensor of a state: they share the data (tfjs counts references), and outlive the step. */
function copyOf<S>(state: TrainState<S>): TrainState<S> {
  const walk = (v: unknown): unknown =>
    v instanceof tf.Tensor
      ? tf.clone(v)
      : Array.isArray(v)
        ? v.map(walk)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  return walk(state) as TrainState<S>;
}

/**
 * Checkpoints a running training stream: after every `every` updates and/or every `seconds`, on a graceful
 * stop ({@link TrainStopped}, with its open window), and at completion; keeps the newest `keep`. Steps pass
 * through at once: a save works on copies of the step's tensors (which share their data, so a copy costs no
 * memory until training replaces the tensors), in the background, one save at a time, so training never
 * waits for the disk. When training outruns the disk, a newer state replaces the one waiting to be saved
 * (so at most two states are held); a stop's state and the final one are always saved. Completion waits
 * for the last save.
 *
 * Ownership: takes nothing from the steps (its copies are its own, disposed once saved); what passes
 * through is owned as `train` says.
 *
 * ## Example
 * ```ts
 * const stop = fromEvent(process, 'SIGINT');
 * batches$.pipe(
 *   train({ ...options, stop }),
 *   checkpoints(storage, { fingerprint: fingerprintOf(options), every: 100, seconds: 600, keep: 3 }),
 * );
 * ```
 *
 * @param storage where to save
 * @param options the fingerprint, when to save, how many to keep
 * @returns an operator that passes steps through and saves checkpoints
 * @throws {ConfigError} synchronously for an invalid option; a failed save fails the stream with its
 *   {@link CheckpointError}
 * @see saveCheckpoint
 * @see train
 */
export function checkpoints<S, T extends TrainStep<S> | TrainStopped<S>>(storage: CheckpointStorage, options: CheckpointsOptions): MonoTypeOperatorFunction<T> {
  const config = getOrThrow(validate(options));
  const clock = options.scheduler ?? asyncScheduler;
  // Standard operators only: a synchronous source stops as soon as the stream ends downstream.
  return (source) =>
    defer(() => {
      const failures = new Subject<never>();
      let failed = false;
      let lastSave = clock.now();
      let unsaved: TrainState<S> | undefined;
      // At most one save runs and one waits: a newer state replaces the waiting one, so copies never pile
      // up when training outruns the disk (a synchronous source runs ahead of every save).
      let waiting: TrainState<S> | undefined;
      let running: Promise<void> | undefined;

      const pump = (): void => {
        if (running !== undefined || waiting === undefined) return;
        const copy = waiting;
        waiting = undefined;
        running = (async () => {
          try {
            const name = await saveCheckpoint(storage, {
              state: copy,
              fingerprint: options.fingerprint,
              random: options.random ?? null,
              ...(config.keep === undefined ? {} : { keep: config.keep }),
            });
            disposeTree(copy);
            options.onSaved?.(name);
          } catch (error) {
            disposeTree(copy);
            failed = true;
            if (waiting !== undefined) disposeTree(waiting);
            waiting = undefined;
            failures.error(error);
          } finally {
            running = undefined;
            if (!failed) pump();
          }
        })();
      };

      const save = (state: TrainState<S>): void => {
        if (failed) return;
        lastSave = clock.now();
        unsaved = undefined;
        if (waiting !== undefined) disposeTree(waiting);
        waiting = copyOf(state);
        pump();
      };

      const idle = async (): Promise<void> => {
        while (running !== undefined) await running;
      };

      const onEvent = (event: T): void => {
        if ('stopped' in event) save(event.state);
        else {
          const due =
            (config.every !== undefined && event.step % config.every === 0) ||
            (config.seconds !== undefined && clock.now() - lastSave >= config.seconds * 1000);
          if (due) save(event.state);
          else unsaved = event.state;
        }
      };

      return source.pipe(
        tap(onEvent),
        concatWith(
          defer(() => {
            // The last step's tensors are the caller's now and still alive: copy them before anyone frees them.
            if (config.final && unsaved !== undefined) save(unsaved);
            return from(idle().then(() => failures.complete())).pipe(ignoreElements());
          }),
        ),
        mergeWith(failures),
        finalize(() => {
          // Unsubscribed or failed with a save still waiting: it will never be made.
          if (waiting !== undefined) disposeTree(waiting);
          waiting = undefined;
        }),
      );
    });
}
