import { stat } from 'node:fs/promises';
import { firstValueFrom, fromEvent, take, type Observable } from 'rxjs';
import { followRuns } from '../dashboard/followRuns.js';
import { serveDashboard } from '../dashboard/serveDashboard.js';
import type { DashboardConfig } from './types.js';

/** The edges {@link runDashboard} touches, replaceable in tests. */
export interface DashboardIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Emits to stop serving. Default: the first SIGINT (Ctrl-C). */
  readonly interrupt?: Observable<unknown>;
}

/**
 * `gradstream dashboard RUN_DIR...`: serves the dashboard over run folders, overlaid for comparison,
 * each with its configuration; a run still being written is followed as it grows. Serves until Ctrl-C.
 * Runs are named by their paths below the folder that holds them all ({@link followRuns}).
 *
 * ## Example
 * ```ts
 * const code = await runDashboard({ command: 'dashboard', runs: ['runs/a', 'runs/b'], port: 6006, host: '127.0.0.1' });
 * ```
 *
 * @param config the checked configuration from {@link parseCommandLine}
 * @param io output streams and interruption
 * @returns the exit code: 0 once stopped, 1 if a folder is missing or the port cannot be bound
 */
export async function runDashboard(config: DashboardConfig, io: DashboardIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    for (const dir of config.runs) {
      const info = await stat(dir).catch(() => undefined);
      if (info === undefined || !info.isDirectory()) throw new Error(`${JSON.stringify(dir)} is not a run folder`);
    }
    const dashboard = await serveDashboard(followRuns(config.runs), { port: config.port, host: config.host });
    stdout.write(`dashboard at ${dashboard.url} (Ctrl-C to stop)\n`);
    await firstValueFrom(io.interrupt ?? fromEvent(process, 'SIGINT').pipe(take(1)), { defaultValue: undefined });
    await dashboard.close();
    return 0;
  } catch (error) {
    stderr.write(`gradstream dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
