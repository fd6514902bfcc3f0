import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every entry under `root`, by relative path, with what it is and a SHA-256 of its content: two equal
 * results mean nothing under `root` was added, removed or changed. `keep` chooses the entries to look at
 * (default all), while every folder is still walked into: a test of what gradstream must not touch
 * leaves out the files gradstream writes, and still sees someone else's files inside gradstream's folders.
 */
export function treeHash(root: string, keep: (path: string) => boolean = () => true): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const s = lstatSync(join(root, path));
      if (s.isDirectory()) {
        if (keep(path)) result[path] = 'dir';
        walk(path);
      } else if (!keep(path)) continue;
      else if (s.isSymbolicLink()) result[path] = `link ${readlinkSync(join(root, path))}`;
      else result[path] = `file ${createHash('sha256').update(readFileSync(join(root, path))).digest('hex')}`;
    }
  };
  walk('');
  return result;
}
