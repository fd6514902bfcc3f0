/**
 * Shared validators of schedule configs. Owned by lib/optim.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../errors/ConfigError.js';
import { optionsObject } from './options.js';

/** Validates the config object of schedule `fn`, then its fields with `fields`. */
export const scheduleConfig =
  <T>(fn: string, allowed: ReadonlyArray<string>, fields: (o: Readonly<Record<string, unknown>>) => E.Either<ConfigError, T>) =>
  (config: unknown): E.Either<ConfigError, T> =>
    pipe(optionsObject(fn, allowed)(config), E.chain(fields));

/** Fails with a ConfigError on `field` unless `ok`. */
export const ensure =
  <T>(fn: string, field: string, value: (c: T) => unknown, expected: (c: T) => string, ok: (c: T) => boolean) =>
  (c: T): E.Either<ConfigError, T> =>
    ok(c) ? E.right(c) : E.left(new ConfigError(fn, field, value(c), expected(c)));
