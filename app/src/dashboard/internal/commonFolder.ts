import { dirname, resolve, sep } from 'node:path';

/** The deepest folder holding every one of `dirs` (absolute): what the dashboard's run names are relative to. */
export function commonFolder(dirs: ReadonlyArray<string>): string {
  const parents = dirs.map((d) => dirname(resolve(d)).split(sep));
  if (parents.length === 0) return resolve('.');
  let n = 0;
  while (parents.every((p) => n < p.length && p[n] === parents[0]![n])) n++;
  return parents[0]!.slice(0, n).join(sep) || sep;
}
