import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../errors/ConfigError.js';

/**
 * Pure validators: each takes the function and field names it reports, and returns a data-last
 * `(value) => Either<ConfigError, T>` that composes with fp-ts `pipe`, `E.chain` and `E.Do`/`E.bind`.
 */
export type Validator<T> = (value: unknown) => E.Either<ConfigError, T>;

const check =
  <T>(fn: string, field: string, expected: string, ok: (value: unknown) => value is T): Validator<T> =>
  (value) =>
    ok(value) ? E.right(value) : E.left(new ConfigError(fn, field, value, expected));

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A finite number > 0. */
export const positive = (fn: string, field: string): Validator<number> =>
  check(fn, field, 'a finite number > 0', (v): v is number => isFiniteNumber(v) && v > 0);

/** A finite number >= 0. */
export const nonNegative = (fn: string, field: string): Validator<number> =>
  check(fn, field, 'a finite number >= 0', (v): v is number => isFiniteNumber(v) && v >= 0);

/** Any finite number. */
export const finite = (fn: string, field: string): Validator<number> =>
  check(fn, field, 'a finite number', isFiniteNumber);

/** A number in [0, 1). */
export const unitInterval = (fn: string, field: string): Validator<number> =>
  check(fn, field, 'a number in [0, 1)', (v): v is number => isFiniteNumber(v) && v >= 0 && v < 1);

/** An integer >= `min`. */
export const integerAtLeast = (fn: string, field: string, min: number): Validator<number> =>
  check(fn, field, `an integer >= ${min}`, (v): v is number => Number.isInteger(v) && (v as number) >= min);

/** A boolean. */
export const boolean = (fn: string, field: string): Validator<boolean> =>
  check(fn, field, 'a boolean', (v): v is boolean => typeof v === 'boolean');

/** A function. */
export const isFunction = <F extends (...args: never[]) => unknown>(fn: string, field: string): Validator<F> =>
  check(fn, field, 'a function', (v): v is F => typeof v === 'function');

/** One of the listed string literals. */
export const oneOf = <L extends string>(fn: string, field: string, allowed: ReadonlyArray<L>): Validator<L> =>
  check(
    fn,
    field,
    `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
    (v): v is L => typeof v === 'string' && (allowed as ReadonlyArray<string>).includes(v),
  );

/** `undefined` becomes `fallback`; anything else goes to `validator`. */
export const withDefault =
  <T>(validator: Validator<T>, fallback: T): Validator<T> =>
  (value) =>
    value === undefined ? E.right(fallback) : validator(value);

/** The public constructors' shell: throw the `Left`, return the `Right`. */
export const getOrThrow = <T>(result: E.Either<ConfigError, T>): T => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};
