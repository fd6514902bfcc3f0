import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { Batch } from '../batch/types.js';
import { ConfigError } from '../errors/ConfigError.js';
import { mulberry32 } from '../internal/mulberry32.js';
import { permutation } from '../internal/permutation.js';
import { pick } from '../internal/pickExamples.js';
import { optionKeys, optionsObject } from '../internal/options.js';
import { boolean, getOrThrow, integerAtLeast, withDefault } from '../internal/validate.js';
import type { Examples } from './types.js';

/** Options of {@link shuffledBatches}. */
export interface ShuffledBatchesOptions {
  /** The examples to draw from (read, never modified). */
  readonly examples: Examples;
  /** Examples per batch, an integer >= 1. */
  readonly batchSize: number;
  /** The run's seed, an integer >= 0. */
  readonly seed: number;
  /** Which epoch (an integer >= 0): each epoch has its own order, derived from `seed` and `epoch`. */
  readonly epoch: number;
  /**
   * Shape of one example in `xs`; its size must equal `examples.features`. Default `[features]`
   * (`[784]` for an MLP); `[28, 28, 1]` for a convolutional net.
   */
  readonly inputShape?: ReadonlyArray<number>;
  /** Leave out the last, smaller batch when `batchSize` does not divide the count. Default `false`. */
  readonly dropRemainder?: boolean;
  /**
   * Emit each batch from this scheduler instead of synchronously. With `asyncScheduler` the event
   * loop runs between batches, so that a signal handler (Ctrl-C) can stop the stream mid-epoch.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Examples of this epoch already consumed, an integer >= 0 (default 0): the epoch starts there, for a run
   * resumed from a checkpoint. Whole batches before it are never made; the batch it falls in starts at
   * it. With epochs of E examples, a saved position of p examples is epoch `⌊p / E⌋`, `startAt: p mod E`.
   */
  readonly startAt?: number;
}

const FN = 'shuffledBatches';

const validate = (o: ShuffledBatchesOptions): E.Either<ConfigError, Required<Omit<ShuffledBatchesOptions, 'scheduler'>>> =>
  pipe(
    E.Do,
    E.bind('known', () => optionsObject(
        FN,
        optionKeys<ShuffledBatchesOptions>({ examples: true, batchSize: true, seed: true, epoch: true, inputShape: true, dropRemainder: true, scheduler: true, startAt: true }),
      )(o)),
    E.bind('batchSize', () => integerAtLeast(FN, 'batchSize', 1)(o.batchSize)),
    E.bind('seed', () => integerAtLeast(FN, 'seed', 0)(o.seed)),
    E.bind('epoch', () => integerAtLeast(FN, 'epoch', 0)(o.epoch)),
    E.bind('dropRemainder', () => withDefault(boolean(FN, 'dropRemainder'), false)(o.dropRemainder)),
    E.bind('startAt', () => withDefault(integerAtLeast(FN, 'startAt', 0), 0)(o.startAt)),
    E.bind('inputShape', () => {
      const shape = o.inputShape ?? [o.examples.features];
      const size = shape.reduce((a, b) => a * b, 1);
      return shape.every((d) => Number.isInteger(d) && d >= 1) && size === o.examples.features
        ? E.right(shape)
        : E.left(new ConfigError(FN, 'inputShape', shape, `positive integers whose product is ${o.examples.features}`));
    }),
    E.map(({ known: _known, ...v }) => ({ ...v, examples: o.examples })),
  );

/** Mixes the run's seed with the epoch, so that each epoch is shuffled differently but reproducibly. */
const epochSeed = (seed: number, epoch: number): number => (seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;

/**
 * One epoch of shuffled batches, as a cold RxJS source of {@link Batch}es made lazily: a batch's
 * tensors are created only at the moment it is emitted, so the data stays in plain typed arrays and
 * at most the batch in flight occupies tensor memory.
 *
 * The order is a Fisher–Yates permutation seeded from `(seed, epoch)`: the same options give the same
 * batches, bit for bit, on every subscription. Chain epochs with `concatMap`.
 *
 * Ownership: each emitted batch belongs to the subscriber (`train` disposes it once used).
 * Unsubscribing stops the source before the next batch is made: no tensor is created after it.
 *
 * ## Example
 * ```ts
 * const epochs$ = range(0, 3).pipe(
 *   concatMap((epoch) => shuffledBatches({ examples: train, batchSize: 32, seed: 42, epoch })),
 * );
 * ```
 *
 * @param options examples, batch size, seed, epoch, input shape
 * @returns a cold Observable of batches `{ xs: [b, ...inputShape], ys: [b, classes] }`
 * @throws ConfigError synchronously for an invalid option
 */
export function shuffledBatches(options: ShuffledBatchesOptions): Observable<Batch> {
  const { examples, batchSize, seed, epoch, inputShape, dropRemainder, startAt } = getOrThrow(validate(options));
  const { scheduler } = options;
  const full = Math.floor(examples.count / batchSize);
  const batches = dropRemainder || full * batchSize === examples.count ? full : full + 1;
  // The first batch not wholly before `startAt`; an epoch resumed at or past its end yields nothing.
  const first = startAt >= examples.count ? batches : Math.floor(startAt / batchSize);

  return new Observable<Batch>((subscriber) => {
    const order = permutation(examples.count, mulberry32(epochSeed(seed, epoch)));
    const make = (b: number): Batch => {
      const chosen = pick(examples, order.subarray(Math.max(b * batchSize, startAt), Math.min((b + 1) * batchSize, examples.count)));
      return {
        xs: tf.tensor(chosen.images, [chosen.count, ...inputShape]),
        ys: tf.tensor2d(chosen.labels, [chosen.count, examples.classes]),
      };
    };

    if (scheduler === undefined) {
      for (let b = first; b < batches && !subscriber.closed; b++) subscriber.next(make(b));
      subscriber.complete();
      return undefined;
    }
    return scheduler.schedule(function (this: SchedulerAction<number>, b = first) {
      if (subscriber.closed) return;
      if (b >= batches) {
        subscriber.complete();
        return;
      }
      subscriber.next(make(b));
      this.schedule(b + 1);
    }, 0, first);
  });
}
