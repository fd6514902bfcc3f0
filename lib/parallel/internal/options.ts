import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from '../../errors/ConfigError.js';
import { isObject } from '../../internal/isObject.js';
import type { WorkerPoolOptions } from '../workerPoolTypes.js';
import { FN, type ModuleRef } from './protocol.js';

/** {@link WorkerPoolOptions} after validation. */
export interface WorkerPoolConfig {
  readonly workers: number;
  readonly mainShare: boolean;
  readonly model: ModuleRef | undefined;
  readonly loss: ModuleRef | undefined;
  readonly workerUrl: URL;
}

/**
 * What the defaults depend on, passed in by the shell so that the validator stays pure (and node-free):
 * the cores available, and where the worker script is by default.
 */
export interface PoolEnvironment {
  readonly cores: number;
  readonly workerUrl: URL;
}

const moduleRef =
  (field: string) =>
  (value: unknown): E.Either<ConfigError, ModuleRef | undefined> => {
    if (value === undefined) return E.right(undefined);
    const expected = '{ url: a URL or string, export?: a name }';
    if (!isObject(value)) return E.left(new ConfigError(FN, field, value, expected));
    const url = value['url'];
    const name = value['export'] ?? 'default';
    if (!(url instanceof URL || (typeof url === 'string' && url.length > 0)) || typeof name !== 'string' || name === '')
      return E.left(new ConfigError(FN, field, value, expected));
    return E.right({ url: String(url), name });
  };

/** The pure validator behind `workerPool`: data-last over the options, given the environment. */
export const validateWorkerPoolOptions =
  (env: PoolEnvironment) =>
  (options: WorkerPoolOptions): E.Either<ConfigError, WorkerPoolConfig> =>
    pipe(
      E.Do,
      E.bind('options', () => (isObject(options) ? E.right(options as WorkerPoolOptions) : E.left(new ConfigError(FN, 'options', options, 'an object')))),
      E.bind('mainShare', ({ options: o }) =>
        o.mainShare === undefined || typeof o.mainShare === 'boolean'
          ? E.right(o.mainShare ?? true)
          : E.left(new ConfigError(FN, 'mainShare', o.mainShare, 'a boolean')),
      ),
      E.bind('workers', ({ options: o, mainShare }) => {
        const w = o.workers ?? 'auto';
        if (w === 'auto') return E.right(Math.max(1, env.cores - (mainShare ? 1 : 0)));
        return Number.isInteger(w) && w >= 1 && w <= 256 ? E.right(w) : E.left(new ConfigError(FN, 'workers', w, "an integer in [1, 256] or 'auto'"));
      }),
      E.bind('model', ({ options: o }) => moduleRef('model')(o.model)),
      E.bind('loss', ({ options: o }) => moduleRef('loss')(o.loss)),
      E.bind('workerUrl', ({ options: o }) => {
        const u: unknown = o.workerUrl ?? env.workerUrl;
        return u instanceof URL || (typeof u === 'string' && u.length > 0)
          ? E.right(new URL(String(u)))
          : E.left(new ConfigError(FN, 'workerUrl', u, 'a URL'));
      }),
      E.map(({ workers, mainShare, model, loss, workerUrl }) => ({ workers, mainShare, model, loss, workerUrl })),
    );
