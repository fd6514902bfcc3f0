// The command line's checks, as pure fp-ts validators that report a ConfigError naming the flag and value.
// The library's validators are internal to it; the app builds its own few on the public ConfigError.
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from 'gradstream';

/** A data-last check of one value: `Right(value)` or a `ConfigError` naming function, field and value. */
export type Validator<T> = (value: unknown) => E.Either<ConfigError, T>;

const check =
  <T>(fn: string, field: string, expected: string, ok: (value: unknown) => value is T): Validator<T> =>
  (value) =>
    ok(value) ? E.right(value) : E.left(new ConfigError(fn, field, value, expected));

/** A finite number > 0. */
export const positive = (fn: string, field: string): Validator<number> =>
  check(fn, field, 'a finite number > 0', (v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);

/** An integer >= `min`. */
export const integerAtLeast = (fn: string, field: string, min: number): Validator<number> =>
  check(fn, field, `an integer >= ${min}`, (v): v is number => Number.isInteger(v) && (v as number) >= min);

/** A boolean. */
export const boolean = (fn: string, field: string): Validator<boolean> =>
  check(fn, field, 'a boolean', (v): v is boolean => typeof v === 'boolean');

/** One of the listed string literals. */
export const oneOf = <L extends string>(fn: string, field: string, allowed: ReadonlyArray<L>): Validator<L> =>
  check(
    fn,
    field,
    `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
    (v): v is L => typeof v === 'string' && (allowed as ReadonlyArray<string>).includes(v),
  );

/** Throws the `Left`, returns the `Right`. */
export const getOrThrow = <T>(result: E.Either<ConfigError, T>): T => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};
