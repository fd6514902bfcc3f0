// @ts-check
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The package's entry points: each re-exports public modules only, never an `internal/` one. */
const entryPoints = ['lib/index.ts', 'lib/testing/index.ts', 'lib/node/index.ts', 'lib/wasm/index.ts'];
const internalSource = '/(^|\\/)internal\\//';
const fromInternal = 'an entry point re-exports public modules only: move what users need out of internal/, or leave it unexported';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'app/dist/**',
      'app/runs/**',
      'docs/api/**',
      'node_modules/**',
      'runs/**',
      'bench/results.json',
      // Inputs of test/lint's control cases, one of which holds a cycle on purpose.
      'test/lint/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboard's page: plain browser JavaScript, served as is.
    files: ['app/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', EventSource: 'readonly', setTimeout: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: ['rxjs/internal/*'] }],
    },
  },
  {
    // No import cycles in the library or the app. Specifiers are ESM's `./x.js` for a `./x.ts` source, so
    // the resolver maps `.js` to `.ts` first. `import type` cycles are not counted (erased at run time).
    files: ['lib/**/*.ts', 'app/src/**/*.ts', 'test/lint/fixtures/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: entryPoints,
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: `ExportNamedDeclaration[source.value=${internalSource}]`, message: fromInternal },
        { selector: `ExportAllDeclaration[source.value=${internalSource}]`, message: fromInternal },
        { selector: `ImportDeclaration[source.value=${internalSource}]`, message: fromInternal },
      ],
    },
  },
);
