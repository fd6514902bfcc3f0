import { basename, isAbsolute, relative, sep } from 'node:path';

/**
 * A run's configuration as the dashboard shows it: a top-level absolute path (summary.json records `out`
 * and `checkpointDir` as they were given) is shown below `root` when it lies there, else by its last
 * segment; the page and its API are open to whatever reaches the port, and need not say where runs live.
 */
export function hidePaths(root: string, config: unknown): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, shown(root, value)]));
}

const shown = (root: string, value: unknown): unknown => {
  if (typeof value !== 'string' || !isAbsolute(value)) return value;
  const inside = relative(root, value);
  return inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside) ? inside : `…${sep}${basename(value)}`;
};
