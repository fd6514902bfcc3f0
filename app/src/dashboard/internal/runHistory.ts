// The runs' history as the server keeps it: each event serialised once, shared by every page.
import type { Subscription } from 'rxjs';
import type { DashboardRun } from '../serveDashboard.js';
import { chartRows } from '../chartRows.js';

/** One run as the server holds it. */
export interface RunState {
  readonly name: string;
  /** Every row so far, serialised once: the history a late page is sent, shared by every page. */
  readonly rows: string[];
  status: 'running' | 'finished' | 'failed';
  error: string | undefined;
  config: unknown;
  /** Bumped whenever status or config change, so each page is sent the news once. */
  version: number;
}

/** A run as `/api/runs` and the `run` message describe it. */
export const describeRun = (run: RunState) => ({ name: run.name, status: run.status, error: run.error ?? null, config: run.config });

/**
 * Subscribes to every run's events and configuration at once, recording them into the returned states;
 * `changed` is called after each change. An error in a run marks it failed: it does not reach the caller.
 */
export function recordRuns(given: ReadonlyArray<DashboardRun>, changed: () => void): { runs: RunState[]; subscriptions: Subscription[] } {
  const runs: RunState[] = given.map((r) => ({ name: r.name, rows: [], status: 'running', error: undefined, config: null, version: 0 }));
  const subscriptions: Subscription[] = [];
  given.forEach((run, i) => {
    const state = runs[i]!;
    const row = chartRows(run.name);
    subscriptions.push(
      run.events.subscribe({
        next: (event) => {
          state.rows.push(JSON.stringify(row(event)));
          changed();
        },
        error: (error: unknown) => {
          state.status = 'failed';
          state.error = error instanceof Error ? error.message : String(error);
          state.version++;
          changed();
        },
        complete: () => {
          state.status = 'finished';
          state.version++;
          changed();
        },
      }),
    );
    if (run.config !== undefined) {
      subscriptions.push(
        run.config.subscribe({
          next: (config) => {
            state.config = config;
            state.version++;
            changed();
          },
          error: () => undefined,
        }),
      );
    }
  });
  return { runs, subscriptions };
}
