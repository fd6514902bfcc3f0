// `gradstream dashboard RUN_DIR...`: run folders to compare, and where to serve them.
import { Command, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from 'gradstream';
import type { DashboardConfig } from '../types.js';
import { DEFAULT_PORT, servedOptions, type Raw } from './optionValues.js';

/** Pure validation of `dashboard`'s arguments and options. */
export const checkDashboard = (raw: Raw): E.Either<ConfigError, DashboardConfig> => {
  const fn = 'gradstream dashboard';
  const runs = raw['runs'];
  return pipe(
    Array.isArray(runs) && runs.length > 0 && runs.every((r) => typeof r === 'string' && r !== '')
      ? E.right(runs as string[])
      : E.left(new ConfigError(fn, 'RUN_DIR', runs, 'one or more run folders')),
    E.bindTo('runs'),
    E.bind('served', () => servedOptions(fn)(raw)),
    E.map(({ runs, served: { port, host } }) => ({ command: 'dashboard' as const, runs, port, host })),
  );
};

/** Adds `dashboard` to the program; `chosen` records its raw values when it is the command given. */
export function defineDashboard(root: Command, chosen: (raw: Raw) => void): void {
  root
    .command('dashboard')
    .description('serve a dashboard comparing run folders written by train (following any still being written)')
    .argument('<RUN_DIR...>', 'run folders (each with metrics.jsonl and, once finished, summary.json)')
    .addOption(new Option('--port <n>', 'port (0: any free port)').default(DEFAULT_PORT))
    .addOption(new Option('--host <address>', 'the interface to bind').default('127.0.0.1'))
    .action((runs: string[], options: Record<string, unknown>) => chosen({ ...options, runs }));

}
