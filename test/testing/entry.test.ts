import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every module the file at `path` imports, transitively: relative ones as paths under lib/, packages by name. */
function importGraph(path: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    // Value and type imports and re-exports alike: a type-only import loads nothing, but keeps the entry honest.
    for (const [, spec] of source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      if (spec === undefined) continue;
      if (spec.startsWith('.')) visit(relative(root, join(dirname(join(root, file)), spec.replace(/\.js$/, '.ts'))));
      else packages.add(spec);
    }
  };
  visit(path);
  return { files, packages };
}

describe('the gradstream/testing entry point', () => {
  it('is not loaded by the main entry: lib/index.ts reaches no file of lib/testing and never fast-check', () => {
    const { files, packages } = importGraph('lib/index.ts');
    expect(files.size).toBeGreaterThan(50);
    expect([...files].filter((f) => f.startsWith('lib/testing/'))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('fast-check'))).toEqual([]);
  });

  it('is where fast-check is used', () => {
    expect(importGraph('lib/testing/index.ts').packages.has('fast-check')).toBe(true);
  });

  it('is exported as gradstream/testing, with fast-check an optional peer dependency', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import: string; types: string }>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    expect(manifest.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', import: './dist/testing/index.js' });
    expect(manifest.peerDependencies['fast-check']).toBeDefined();
    expect(manifest.peerDependenciesMeta['fast-check']).toEqual({ optional: true });
    expect(manifest.dependencies['fast-check']).toBeUndefined();
  });
});

describe('the gradstream/testing/safety entry point', () => {
  it('reaches checkAccumulationSafety and never fast-check, so it works without the optional peer', () => {
    for (const entry of ['lib/testing/safety/index.ts', 'lib/testing/checkAccumulationSafety.ts']) {
      const { files, packages } = importGraph(entry);
      expect(files.has('lib/testing/checkAccumulationSafety.ts')).toBe(true);
      expect([...packages].filter((p) => p.startsWith('fast-check') || p.startsWith('@fast-check'))).toEqual([]);
    }
  });

  it('is exported as gradstream/testing/safety', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(manifest.exports['./testing/safety']).toEqual({ types: './dist/testing/safety/index.d.ts', import: './dist/testing/safety/index.js' });
  });
});
