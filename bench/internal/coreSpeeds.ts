import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * How fast each core of this machine is alone: a wasm matmul (128 × 784 by 784 × 256, the workers case's
 * first layer at micro-batches of 128) timed in a process pinned to one core with `taskset`, core after core,
 * over `rounds` rounds; the median ms per matmul of each core.
 *
 * Why: on a shared virtual machine the vCPUs need not be equal, and not for long. Measured here within one
 * hour, one of the two took 3.5 ms per matmul and the other 2.6 ms (twice in a row), then both 2.4 ms: a
 * vCPU whose physical core also serves a neighbour is slower while it does. Two threads then cannot reach
 * twice the speed of one, whatever the code does; the workers case's ceiling shows it, and this says why.
 *
 * @returns ms per matmul for each core, or `undefined` where `taskset` is missing (not Linux, say)
 */
export function coreSpeeds(rounds: number): ReadonlyArray<number> | undefined {
  // The repository root, from node_modules/.cache/gradstream-bench/bench/internal/: tfjs resolves from there.
  const root = fileURLToPath(new URL('../../../../../', import.meta.url));
  const script = `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
await tf.setBackend('wasm');
await tf.ready();
const a = tf.randomUniform([128, 784]);
const b = tf.randomUniform([784, 256]);
const once = () => tf.tidy(() => tf.matMul(a, b)).dataSync();
for (let i = 0; i < 50; i++) once();
const start = performance.now();
for (let i = 0; i < 200; i++) once();
console.log((performance.now() - start) / 200);
`;
  const times: number[][] = cpus().map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [core, list] of times.entries()) {
      const run = spawnSync('taskset', ['-c', String(core), process.execPath, '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      if (run.error || run.status !== 0) {
        if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error(`coreSpeeds: core ${core} failed: ${run.stderr || String(run.error)}`);
      }
      list.push(Number(run.stdout.trim()));
    }
  }
  return times.map((list) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)] as number);
}
