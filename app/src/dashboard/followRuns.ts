import { map } from 'rxjs';
import { commonFolder } from './internal/commonFolder.js';
import { hidePaths } from './internal/hidePaths.js';
import { runNames } from './internal/runNames.js';
import { followRun } from './followRun.js';
import type { DashboardRun } from './serveDashboard.js';

/**
 * Run folders as the dashboard shows them side by side: each followed with {@link followRun}, named by
 * its path below the deepest folder that holds them all (`/home/me/runs/a` and `/home/me/runs/b` are
 * `a` and `b`; a lone run is its folder's name), and its configuration's absolute paths shown below that
 * folder too. The page and its API are open to whatever reaches the port: they need not say where on the
 * disk the runs live.
 *
 * ## Example
 * ```ts
 * const dashboard = await serveDashboard(followRuns(['runs/a', 'runs/b']));
 * ```
 *
 * @param dirs the run folders, as given on the command line
 * @returns one run per folder, in order
 * @see followRun, for one folder under a name of your choosing
 */
export function followRuns(dirs: ReadonlyArray<string>): DashboardRun[] {
  const names = runNames(dirs);
  const root = commonFolder(dirs);
  return dirs.map((dir, i) => {
    const run = followRun(dir, { name: names[i]! });
    return { ...run, ...(run.config === undefined ? {} : { config: run.config.pipe(map((c) => hidePaths(root, c))) }) };
  });
}
