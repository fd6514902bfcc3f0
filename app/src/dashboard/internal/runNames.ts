import { basename, relative, resolve } from 'node:path';
import { commonFolder } from './commonFolder.js';

/**
 * The names `gradstream dashboard` shows for run folders: each folder's path below the deepest folder
 * that holds them all, so the names are short, tell the runs apart, and never reveal where on the disk
 * they live (the page and its API are open to whatever reaches the port). A lone run is named by its
 * folder's own name.
 *
 * ## Example
 * ```ts
 * runNames(['/home/me/runs/a', '/home/me/runs/b']); // ['a', 'b']
 * runNames(['runs/2024/a', 'runs/b']); // ['2024/a', 'b']
 * runNames(['/home/me/runs/a']); // ['a']
 * ```
 *
 * @param dirs the run folders, as given on the command line
 * @returns one name per folder, in order, none absolute and none with `..`
 */
export function runNames(dirs: ReadonlyArray<string>): string[] {
  const root = commonFolder(dirs);
  return dirs.map((d) => relative(root, resolve(d)) || basename(resolve(d)) || '.');
}
