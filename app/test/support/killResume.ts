// Kill -9 and resume: runs the built CLI, kills it with SIGKILL at random moments, resumes from `latest`
// each time, and compares the final model with an uninterrupted run's. Used by app/test/e2e/killResume.test.ts
// (a few kills, a fixed seed) and app/scripts/kill-resume.sh (the many-kill sweep, prints the tally).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileStorage } from 'gradstream/node';
import { loadCheckpoint, type Fingerprint } from 'gradstream';
import { mulberry32 } from '../../../lib/internal/mulberry32.js';
import { disposeTensors } from './disposeTensors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/cli/main.js');
const args = (trainSize: number) => ['train', '--backend', 'cpu', '--train-size', String(trainSize), '--test-size', '32', '--epochs', '2', '--micro-batch', '16', '--accumulate', '2', '--checkpoint-every', '1'];

export interface KillTally {
  readonly kills: number;
  /** Kills that left an unfinished temporary directory: the process died during a save. */
  readonly duringSave: number;
  /** Kills before the first checkpoint existed (the next run starts afresh). */
  readonly beforeFirstCheckpoint: number;
  /** Times `latest` named a checkpoint that did not load whole (must be 0). */
  readonly latestIncomplete: number;
  /** Runs that resumed from `latest`. */
  readonly resumes: number;
  /** Runs that finished before their kill came (the delay fell after the run's end). */
  readonly finishedFirst: number;
  readonly identical: boolean;
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** From the first output line (update 1 done) to the exit. */
  readonly trainMs: number;
}

/** Spawns the CLI; if `killAfterMs` is given, SIGKILLs it that long after its first output line. */
function run(trainSize: number, out: string, extra: ReadonlyArray<string>, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args(trainSize), '--out', out, ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let first = Date.now();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => {
      first = Date.now();
      if (killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stdout.resume();
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr, trainMs: Date.now() - first });
    });
  });
}

/** Loads the checkpoint `latest` names, fully checked; false if it does not load whole. */
async function latestIsComplete(dir: string): Promise<boolean | undefined> {
  const pointer = join(dir, 'latest');
  if (!existsSync(pointer)) return undefined;
  const name = readFileSync(pointer, 'utf8').trim();
  try {
    const storage = await fileStorage(dir);
    const json = JSON.parse(readFileSync(join(dir, name, 'checkpoint.json'), 'utf8')) as { fingerprint: Fingerprint };
    const loaded = await loadCheckpoint(storage, { name, fingerprint: json.fingerprint });
    disposeTensors(loaded.state);
    return true;
  } catch {
    return false;
  }
}

/** `trainSize` digits for 2 epochs: 1024 (64 updates) for the sweep, fewer for a quick test. */
export async function killAndResume(kills: number, seed: number, log: (line: string) => void = () => undefined, trainSize = 1024): Promise<KillTally> {
  const base = mkdtempSync(join(tmpdir(), 'gs-kill-'));
  try {
    const reference = join(base, 'reference');
    const whole = await run(trainSize, reference, []);
    if (whole.code !== 0) throw new Error(`the uninterrupted run failed: ${whole.stderr}`);
    // Kill delays anywhere in the training time, counted from the first update: a kill can land in an
    // update, in a save, in an evaluation, after the last update; a run that ends first starts a new sequence.
    // (Half of it was too short on an idle machine: every kill came before the first save was committed.)
    const span = Math.max(200, whole.trainMs);

    const out = join(base, 'interrupted');
    const dir = join(out, 'checkpoints');
    // Seeded (mulberry32), so a failing sequence can be replayed.
    const next = mulberry32(seed);
    let duringSave = 0;
    let beforeFirst = 0;
    let incomplete = 0;
    let resumes = 0;
    let finishedFirst = 0;
    // A kill before the first checkpoint tests nothing of resuming: until one exists, such kills are
    // retried (up to `kills` more), so that a loaded machine's slow first save still leaves resumes to test.
    for (let k = 0, retries = 0; k < kills; k++) {
      const resume = existsSync(join(dir, 'latest'));
      resumes += resume ? 1 : 0;
      const r = await run(trainSize, out, resume ? ['--resume', 'latest'] : [], Math.floor(next() * span));
      if (r.signal !== 'SIGKILL' && r.code !== 0) throw new Error(`run ${k} failed (${r.code}): ${r.stderr}`);
      if (r.signal !== 'SIGKILL') {
        // The run ended before its kill: start a new sequence, so that every kill interrupts a run.
        finishedFirst++;
        rmSync(out, { recursive: true, force: true });
      }
      const leftovers = existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith('.tmp-')) : [];
      if (leftovers.length > 0) duringSave++;
      const complete = await latestIsComplete(dir);
      if (complete === undefined) beforeFirst++;
      if (complete === false) incomplete++;
      log(`kill ${k + 1}: ${r.signal ?? `exit ${r.code}`}, latest ${complete === undefined ? 'none' : complete ? 'complete' : 'INCOMPLETE'}${leftovers.length > 0 ? ', during a save' : ''}`);
      if (complete === undefined && resumes === 0 && retries < kills) {
        retries++;
        k--;
      }
    }
    const last = await run(trainSize, out, existsSync(join(dir, 'latest')) ? ['--resume', 'latest'] : []);
    if (last.code !== 0) throw new Error(`the final run failed: ${last.stderr}`);
    const identical = Buffer.compare(readFileSync(join(out, 'model', 'weights.bin')), readFileSync(join(reference, 'model', 'weights.bin'))) === 0;
    return { kills, duringSave, beforeFirstCheckpoint: beforeFirst, latestIncomplete: incomplete, resumes, finishedFirst, identical };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
