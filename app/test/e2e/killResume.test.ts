// Acceptance: kill -9 at random moments (some during a save), resume from `latest` each time; the final
// model is bit-identical to an uninterrupted run's, and `latest` never names an incomplete checkpoint.
// A few kills with a fixed seed here; GRADSTREAM_KILL_SEED replays or varies the moments, and the
// many-kill sweep is app/scripts/kill-resume.sh.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killAndResume } from '../support/killResume.js';

const kills = Number(process.env['GRADSTREAM_KILLS'] ?? 3);
const seed = Number(process.env['GRADSTREAM_KILL_SEED'] ?? 20240523);
// 256 digits (16 updates) keep the test short; the sweep trains on 1024.
const trainSize = Number(process.env['GRADSTREAM_KILL_TRAIN_SIZE'] ?? 256);

describe('kill -9 and resume', () => {
  it(`after ${kills} SIGKILLs at random moments, each resumed from latest, the final model is bit-identical to an uninterrupted run's`, async () => {
    expect(existsSync(join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/cli/main.js')), 'npm test builds dist/ first').toBe(true);
    const tally = await killAndResume(kills, seed, (line) => process.env['GRADSTREAM_KILL_LOG'] && console.log(line), trainSize);
    console.log(`kill-resume (seed ${seed}): ${JSON.stringify(tally)}`);
    expect(tally.latestIncomplete).toBe(0);
    expect(tally.resumes).toBeGreaterThan(0);
    expect(tally.identical).toBe(true);
  }, 3_600_000);
});
