// Acceptance: kill -9 at 20 random moments (some during a save), resume from `latest` each time; the final
// model is bit-identical to an uninterrupted run's, and `latest` never names an incomplete checkpoint.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killAndResume } from '../support/killResume.js';

const kills = Number(process.env['KILLS'] ?? 20);
const seed = Number(process.env['KILL_SEED'] ?? Date.now() % 1e9);

describe('kill -9 and resume', () => {
  it(`after ${kills} SIGKILLs at random moments, each resumed from latest, the final model is bit-identical to an uninterrupted run's`, async () => {
    expect(existsSync(join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/cli/main.js')), 'npm test builds dist/ first').toBe(true);
    const tally = await killAndResume(kills, seed, (line) => process.env['KILL_LOG'] && console.log(line));
    console.log(`kill-resume (seed ${seed}): ${JSON.stringify(tally)}`);
    expect(tally.latestIncomplete).toBe(0);
    expect(tally.resumes).toBeGreaterThan(0);
    expect(tally.identical).toBe(true);
  }, 3_600_000);
});
