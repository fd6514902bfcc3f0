import { concatMap, defer, finalize, tap, type ObservableInput, type OperatorFunction } from 'rxjs';

/**
 * `concatMap` for values that own tensors: one value is worked on at a time, in arrival order, and the
 * values still waiting when the stream ends are freed.
 *
 * Why: a subscriber may push the next value into the source while the current one is still being
 * emitted downstream (a `Subject` fed from a `tap`). `mergeMap` would work on it at once, inside that
 * emission, so downstream would see its results before the current value's; `concatMap` makes it wait
 * until the current value's work has been delivered. But `concatMap` drops its waiting values when the
 * stream ends (an error, `take(n)`, an unsubscribe): their tensors would leak, so this operator keeps its
 * own list of them and frees them with `free`.
 *
 * Built from standard operators only, so a synchronous source stops as soon as the stream ends.
 */
export function inOrder<T, R>(project: (value: T) => ObservableInput<R>, free: (value: T) => void): OperatorFunction<T, R> {
  return (source) =>
    defer(() => {
      // concatMap takes values in arrival order, so the one it starts is always the oldest waiting.
      const waiting: T[] = [];
      return source.pipe(
        tap((value) => waiting.push(value)),
        concatMap((value) => {
          waiting.shift();
          return project(value);
        }),
        finalize(() => waiting.splice(0).forEach(free)),
      );
    });
}
