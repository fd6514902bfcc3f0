import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../errors/ConfigError.js';

/**
 * A validator for a required option: `undefined` is refused with a ConfigError that says the option
 * `is required` and what to pass; any other value goes to `check`. Without it a forgotten option reads
 * `must be ..., got undefined`, as if the user had passed something wrong.
 *
 * @param fn the public function, e.g. `train`
 * @param field the option, e.g. `model`
 * @param what what to pass, e.g. `a Model ({ params, apply })`
 * @param check the validator for a given value
 */
export const required =
  <T>(fn: string, field: string, what: string, check: (value: unknown) => E.Either<ConfigError, T>) =>
  (value: unknown): E.Either<ConfigError, T> =>
    value === undefined ? E.left(new ConfigError(fn, field, value, what, true)) : check(value);
