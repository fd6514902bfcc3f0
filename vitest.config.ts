import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Every numeric test runs once per backend: a vitest project per backend, each with a setup file that
// selects it. End-to-end tests (they spawn the CLI, which picks its own backend) and the browser test (it
// trains on every backend inside Chromium) run once, under `cpu`.
const e2e = 'app/test/e2e/**/*.test.ts';
// Browser tests drive Chromium; the dashboard's do not depend on the backend either.
const browser = ['test/browser/**/*.test.ts', 'app/test/browser/**/*.test.ts'];
// examples/*.test.ts show users how to test their own models with gradstream/testing: the suite runs them.
const tests = ['test/**/*.test.ts', 'app/test/**/*.test.ts', 'examples/**/*.test.ts'];
// Tests whose subject does not depend on the backend run once, under `cpu`: the CLI's commands, monitor
// files and dashboard (what they compute is the library's, tested on both), and the pure units (the
// docs' public surface, the pool's window state machine and claims, validators).
const backendFree = ['app/test/cli/**', 'app/test/monitor/**', 'app/test/dashboard/**', 'test/docs/**', 'test/lint/**', 'test/parallel/**', 'test/internal/validate.test.ts'];

export default defineConfig({
  resolve: {
    // Examples and the app import the package by name, as a user would; tests run them against the sources.
    alias: [
      { find: /^gradstream$/, replacement: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) },
      { find: /^gradstream\/testing$/, replacement: fileURLToPath(new URL('./lib/testing/index.ts', import.meta.url)) },
      { find: /^gradstream\/node$/, replacement: fileURLToPath(new URL('./lib/node/index.ts', import.meta.url)) },
      { find: /^gradstream\/wasm$/, replacement: fileURLToPath(new URL('./lib/wasm/index.ts', import.meta.url)) },
    ],
  },
  test: {
    testTimeout: 60_000,
    // One module graph per worker: every file would otherwise load TensorFlow.js again (about 2 s each).
    isolate: false,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'cpu',
          include: tests,
          exclude: ['test/wasm-only/**'],
          setupFiles: ['test/support/backend-cpu.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'wasm',
          include: tests,
          exclude: [e2e, ...browser, ...backendFree, 'test/cpu-only/**'],
          setupFiles: ['test/support/backend-wasm.ts'],
        },
      },
    ],
  },
});
