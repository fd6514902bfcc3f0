// End-to-end: SIGTERM (docker stop, systemd) during training saves the open window and exits, with and
// without --dashboard, and the saved checkpoint resumes bit for bit.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');
const ARGS = ['train', '--backend', 'cpu', '--train-size', '256', '--test-size', '32', '--micro-batch', '16', '--accumulate', '3', '--checkpoint-every', '2'];

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** From the first signal to the exit event; undefined when no signal was sent. */
  readonly msAfterSignal: number | undefined;
}

/** Runs the CLI; `signals` sends each signal once a line matching its pattern has been printed. */
function gradstream(args: ReadonlyArray<string>, signals: ReadonlyArray<[RegExp, NodeJS.Signals]> = []): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...ARGS, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let signalledAt: number | undefined;
    let next = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      while (next < signals.length && signals[next]![0].test(stdout)) {
        signalledAt ??= Date.now();
        child.kill(signals[next]![1]);
        next += 1;
      }
    });
    child.stderr.resume();
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, msAfterSignal: signalledAt === undefined ? undefined : Date.now() - signalledAt }));
  });
}

const weights = (out: string) => readFileSync(join(out, 'model', 'weights.bin'));
const tempDir = () => mkdtempSync(join(tmpdir(), 'gs-signal-'));
// The first update line: training has started (and the dashboard, if any, is listening).
const started = /^update 1\//m;

describe('signals', () => {
  it.each([[[]], [['--dashboard', '--port', '0']]])('SIGTERM during training (%j) saves and exits 0 within 5 s; the checkpoint resumes bit for bit', async (extra) => {
    const reference = tempDir();
    expect((await gradstream(['--epochs', '4', '--out', reference])).code).toBe(0);
    const out = tempDir();

    const stopped = await gradstream(['--epochs', '4', '--out', out, ...extra], [[started, 'SIGTERM']]);

    expect(stopped.code, stopped.stdout).toBe(0);
    expect(stopped.msAfterSignal).toBeLessThan(5000);
    expect(stopped.stdout).toMatch(/^interrupted \|/m);
    expect(stopped.stdout).not.toContain('the dashboard stays');
    expect((await gradstream(['--epochs', '4', '--out', out, '--resume', 'latest'])).code).toBe(0);
    expect(Buffer.compare(weights(out), weights(reference))).toBe(0);
  }, 240_000);

  it('with --dashboard, a run that ended by itself keeps the page up until SIGTERM, then exits 0', async () => {
    const run = await gradstream(['--epochs', '1', '--out', tempDir(), '--dashboard', '--port', '0'], [[/^the dashboard stays at /m, 'SIGTERM']]);
    expect(run.code).toBe(0);
    expect(run.msAfterSignal).toBeLessThan(5000);
  }, 120_000);
});
