/**
 * Validators for option objects. Owned by lib/optim; also used by train() and metrics().
 */
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../errors/ConfigError.js';

/** Edit distance (insertions, deletions, substitutions), case-insensitive: `microbatchSize` is 0 from `microBatchSize`. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++)
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1));
    row = next;
  }
  return row[t.length] as number;
}

/**
 * The allowed key closest to a misspelt one, if it is close enough to be the likely intent: at most a
 * third of the key's length away (and at most 3 edits), ties broken by the order of `allowed`.
 */
export function nearestKey(key: string, allowed: ReadonlyArray<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(key.length / 3))) + 1;
  for (const candidate of allowed) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** The ConfigError for an option `fn` does not take, naming the nearest valid one when there is one. */
export function unknownOption(fn: string, key: string, value: unknown, allowed: ReadonlyArray<string>): ConfigError {
  const near = nearestKey(key, allowed);
  return new ConfigError(fn, key, value, `absent (${near === undefined ? '' : `did you mean ${near}? `}${fn} takes ${allowed.join(', ')})`);
}

/**
 * The option names of an options interface `T`, from an object listing each with `true`: the compiler
 * checks that the list names every key of `T` and nothing else, so an option added to the interface
 * cannot be forgotten by the unknown-key check (`optionKeys<TrainOptions<unknown>>({ model: true, … })`).
 */
export const optionKeys = <T>(all: { readonly [K in keyof Required<T>]: true }): ReadonlyArray<string> => Object.keys(all);

/**
 * Validates that `value` is a plain object whose keys are all in `allowed`: an option name misspelt
 * (`microbatchSize`, `--lerningRate`) is rejected, naming the nearest valid key, rather than silently
 * ignored.
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
      : E.left(unknownOption(fn, unknown, (value as Record<string, unknown>)[unknown], allowed));
  };
