// The command line's own parsers: an option's text (or its default) to a value, or a ConfigError that
// names the command, the flag and the value as given. Library options are checked again, by the library.
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from 'gradstream';

/** A raw option value, as commander gives it: the text typed, or the option's default. */
export type Raw = Record<string, unknown>;

/** Text that spells a number becomes that number; anything else is left for the message to show as is. */
const numeric = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;

/** An integer >= `min`. */
export const integerOption =
  (fn: string, flag: string, min: number) =>
  (text: unknown): E.Either<ConfigError, number> => {
    const value = numeric(text);
    return Number.isInteger(value) && (value as number) >= min ? E.right(value as number) : E.left(new ConfigError(fn, flag, value, `an integer >= ${min}`));
  };

/** A finite number > 0. */
export const positiveOption =
  (fn: string, flag: string) =>
  (text: unknown): E.Either<ConfigError, number> => {
    const value = numeric(text);
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? E.right(value) : E.left(new ConfigError(fn, flag, value, 'a finite number > 0'));
  };

/** One of the listed words. */
export const wordOption =
  <L extends string>(fn: string, flag: string, allowed: ReadonlyArray<L>) =>
  (text: unknown): E.Either<ConfigError, L> =>
    typeof text === 'string' && (allowed as ReadonlyArray<string>).includes(text)
      ? E.right(text as L)
      : E.left(new ConfigError(fn, flag, numeric(text), `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`));

/** The dashboard's `--port` and `--host`, of `train --dashboard` and of `dashboard`. */
export const servedOptions = (fn: string) => (raw: Raw) =>
  pipe(
    E.Do,
    E.bind('port', () =>
      pipe(
        integerOption(fn, '--port', 0)(raw['port']),
        E.filterOrElse(
          (port) => port <= 65535,
          (port) => new ConfigError(fn, '--port', port, 'an integer from 0 to 65535'),
        ),
      ),
    ),
    E.bind('host', () =>
      typeof raw['host'] === 'string' && raw['host'] !== '' ? E.right(raw['host']) : E.left(new ConfigError(fn, '--host', raw['host'], 'a host name or address')),
    ),
  );

export const MODELS = ['mlp', 'cnn'] as const;
export const BACKENDS = ['wasm', 'cpu'] as const;
export const DEFAULT_PORT = 6006;
