import { defer, isObservable, type Observable } from 'rxjs';
import { ConfigError } from '../errors/ConfigError.js';
import { getOrThrow, integerAtLeast } from '../internal/validate.js';
import { skipExamples } from './skipExamples.js';
import type { Batch, BatchSource } from './types.js';

const FN = 'resumeBatches';

/**
 * The data of a run from a saved position on, made as cheaply as the source allows: a {@link BatchSource}
 * (a function of the first example) is asked to start there, so no skipped batch is ever made; a plain
 * Observable can only be replayed, so its first `examples` are made and dropped ({@link skipExamples}).
 *
 * Use it when resuming from a checkpoint: pass `position.examples`. For a long run over a file or a
 * seeded shuffle, write the source as a function, and a resume costs nothing however far in it is.
 *
 * Ownership: the batches emitted belong to the subscriber (`train` disposes them once used); those a
 * replayed Observable makes before the position are disposed here.
 *
 * ## Example
 * ```ts
 * const E = examples.count; // examples per epoch
 * // Epochs 0..9 of a seeded shuffle, starting at any example: the epoch it falls in, then the rest.
 * const source: BatchSource = (start) =>
 *   range(Math.floor(start / E), Math.max(0, 10 - Math.floor(start / E))).pipe(
 *     concatMap((epoch, i) => shuffledBatches({ examples, batchSize: 32, seed: 42, epoch, startAt: i === 0 ? start % E : 0 })),
 *   );
 * const saved = await loadCheckpoint(storage, { fingerprint });
 * resumeBatches(source, saved.position.examples).pipe(train({ ...options, initialState: saved.state }));
 * ```
 *
 * @param source a {@link BatchSource} (it keeps the contract documented there), or a replayable
 *   Observable of batches (the same batches in the same order on every subscription)
 * @param examples examples already consumed, an integer >= 0
 * @returns a cold Observable of the batches after the position
 * @throws {ConfigError} when `source` is neither a function nor an Observable, or `examples` is not an
 *   integer >= 0
 * @see skipExamples
 * @see shuffledBatches
 */
export function resumeBatches(source: BatchSource | Observable<Batch>, examples: number): Observable<Batch> {
  getOrThrow(integerAtLeast(FN, 'examples', 0)(examples));
  if (isObservable(source)) return source.pipe(skipExamples(examples));
  if (typeof source !== 'function')
    throw new ConfigError(FN, 'source', source, 'a BatchSource ((startExample) => Observable<Batch>) or an Observable of batches');
  return defer(() => {
    const batches = source(examples);
    if (!isObservable(batches))
      throw new ConfigError(FN, 'source', source, `a BatchSource: a function returning an Observable of batches, got ${typeof batches} from source(${examples})`);
    return batches;
  });
}
