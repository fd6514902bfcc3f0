import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Control cases for the project's own lint rules, run through ESLint's Node API with eslint.config.js:
// a rule that never fires proves nothing. The fixtures are ignored by `npm run lint` and left out of tsc;
// `ignore: false` lints them here. Pure: no tensors, no backend.

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root, ignore: false });

/** The rule ids and messages ESLint reports for `files`, relative to the repository. */
const problems = async (...files: string[]): Promise<ReadonlyArray<{ readonly rule: string | null; readonly message: string }>> => {
  const results = await eslint.lintFiles(files);
  return results.flatMap((r) => r.messages.map((m) => ({ rule: m.ruleId, message: m.message })));
};

describe('import-x/no-cycle in eslint.config.js', () => {
  it('reports two modules that import each other, from both sides', async () => {
    const found = await problems('test/lint/fixtures/cycle/left.ts', 'test/lint/fixtures/cycle/right.ts');

    expect(found.filter((p) => p.rule === 'import-x/no-cycle')).toHaveLength(2);
  });

  it('reports nothing for a module that imports one which does not import it back', async () => {
    const found = await problems('test/lint/fixtures/acyclic/left.ts', 'test/lint/fixtures/acyclic/right.ts');

    expect(found).toEqual([]);
  });
});

describe('entry points re-export no internal/ module', () => {
  const lintEntry = async (code: string, filePath: string): Promise<ReadonlyArray<string | null>> => {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).map((m) => m.ruleId);
  };

  it.each(['lib/index.ts', 'lib/testing/index.ts', 'lib/node/index.ts', 'lib/wasm/index.ts'])('%s may not re-export from an internal/ path', async (entry) => {
    const rules = await lintEntry("export { tidyTree } from '../internal/tensorMaps.js';\n", entry);

    expect(rules).toContain('no-restricted-syntax');
  });

  it('an entry point may re-export a public module', async () => {
    const rules = await lintEntry("export { useWasmConvGradients } from '../backends/useWasmConvGradients.js';\n", 'lib/wasm/index.ts');

    expect(rules).toEqual([]);
  });

  it('a module that is not an entry point may import from internal/', async () => {
    const rules = await lintEntry("export { tidyTree } from '../internal/tensorMaps.js';\n", 'lib/optim/example.ts');

    expect(rules).toEqual([]);
  });
});
