/**
 * Validators for option objects. Owned by lib/optim.
 */
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../errors/ConfigError.js';

/**
 * Validates that `value` is a plain object whose keys are all in `allowed`: an option name misspelt on a
 * command line (`--lerningRate`) is rejected rather than silently ignored.
 */
export const optionsObject =
  (fn: string, allowed: ReadonlyArray<string>) =>
  (value: unknown): E.Either<ConfigError, Readonly<Record<string, unknown>>> => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return E.left(new ConfigError(fn, 'options', value, 'an object'));
    }
    const unknown = Object.keys(value).find((k) => !allowed.includes(k));
    return unknown === undefined
      ? E.right(value as Readonly<Record<string, unknown>>)
      : E.left(
          new ConfigError(fn, unknown, (value as Record<string, unknown>)[unknown], `absent (${fn} takes ${allowed.join(', ')})`),
        );
  };
