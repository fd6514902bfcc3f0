import * as esbuild from 'esbuild';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A bundled page: the JavaScript, and every import of a Node built-in the bundle would have needed. */
export interface PageBundle {
  readonly js: string;
  readonly nodeImports: ReadonlyArray<string>;
}

// Only these reach the plugin: a catch-all filter would send every import through JavaScript (several seconds).
const builtinFilter = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/.]/g, '\\$&')).join('|')})$`);
const libEntry = fileURLToPath(new URL('../../lib/index.ts', import.meta.url));

/**
 * Bundles `entry` for the browser with esbuild, resolving `gradstream` to the library's entry as a user's
 * bundler resolves the package. Imports of Node built-ins (`node:fs`, or a bare `fs` that no package's
 * `browser` field maps away) are recorded as `"<module> from <importer>"` and left external, so the test can
 * name them rather than stop at esbuild's first resolve error.
 */
export async function bundlePage(entry: esbuild.BuildOptions['stdin'] | string): Promise<PageBundle> {
  const nodeImports: string[] = [];
  const recordNodeBuiltins: esbuild.Plugin = {
    name: 'record-node-builtins',
    setup(build) {
      build.onResolve({ filter: builtinFilter }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        // A bare name may be mapped to an empty module by a package's `browser` field: that is fine.
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
        if (resolved.errors.length === 0 && !resolved.external && !args.path.startsWith('node:')) return undefined;
        nodeImports.push(`${args.path} from ${args.importer || '<entry>'}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await esbuild.build({
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: entry }),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { gradstream: libEntry },
    logLevel: 'silent',
    plugins: [recordNodeBuiltins],
  });
  return { js: result.outputFiles[0]!.text, nodeImports };
}
