import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { constant } from '../../lib/optim/schedules/constant.js';
import { cosineDecay } from '../../lib/optim/schedules/cosineDecay.js';
import { exponentialDecay } from '../../lib/optim/schedules/exponentialDecay.js';
import { linearWarmup } from '../../lib/optim/schedules/linearWarmup.js';
import { piecewiseConstant } from '../../lib/optim/schedules/piecewiseConstant.js';
import { warmupCosineDecay } from '../../lib/optim/schedules/warmupCosineDecay.js';
import type { Schedule } from '../../lib/optim/types.js';

const at = (s: Schedule, steps: ReadonlyArray<number>) => steps.map((step) => s(step));
const closeAll = (actual: ReadonlyArray<number>, expected: ReadonlyArray<number>) =>
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, 12));

describe('schedules, with hand-worked numbers', () => {
  it('constant is its value at every step', () => expect(at(constant(0.1), [0, 1, 1e6])).toEqual([0.1, 0.1, 0.1]));

  it('linearWarmup ramps from initial to peak over warmupSteps, then holds', () =>
    closeAll(at(linearWarmup({ initial: 0.1, peak: 1.1, warmupSteps: 4 }), [0, 1, 2, 4, 100]), [0.1, 0.35, 0.6, 1.1, 1.1]));

  it('linearWarmup starts at 0 by default', () => expect(linearWarmup({ peak: 1, warmupSteps: 10 })(5)).toBe(0.5));

  it('cosineDecay follows ½(1 + cos(π·t/T)) down to alpha·initial, as Optax', () =>
    closeAll(at(cosineDecay({ initial: 2, decaySteps: 4, alpha: 0.1 }), [0, 1, 2, 4, 10]), [
      2,
      2 * (0.9 * 0.5 * (1 + Math.SQRT1_2) + 0.1), // t = 1: cos(π/4) = √½
      2 * (0.9 * 0.5 + 0.1), // half-way: 1.1
      0.2,
      0.2,
    ]));

  it('exponentialDecay is initial·rate^(step/decaySteps), floored with staircase', () => {
    closeAll(at(exponentialDecay({ initial: 1, decayRate: 0.5, decaySteps: 10 }), [0, 10, 15, 20]), [1, 0.5, 0.5 ** 1.5, 0.25]);
    closeAll(at(exponentialDecay({ initial: 1, decayRate: 0.5, decaySteps: 10, staircase: true }), [9, 10, 19, 20]), [1, 0.5, 0.5, 0.25]);
  });

  it('warmupCosineDecay warms up linearly, then decays by a cosine to end at decaySteps (counted from 0)', () =>
    closeAll(at(warmupCosineDecay({ initial: 0, peak: 1, warmupSteps: 10, decaySteps: 110, end: 0.1 }), [0, 5, 10, 60, 110, 500]), [
      0,
      0.5,
      1,
      0.55, // half-way through the cosine: (1 − 0.1)·½ + 0.1
      0.1,
      0.1,
    ]));

  it('piecewiseConstant switches at each boundary, the boundary taking the new value', () =>
    expect(at(piecewiseConstant({ boundaries: [100, 200], values: [0.1, 0.01, 0.001] }), [0, 99, 100, 199, 200, 1e6])).toEqual([
      0.1, 0.1, 0.01, 0.01, 0.001, 0.001,
    ]));
});

describe('schedule configs are validated, naming function, field and value', () => {
  it.each([
    ['constant', () => constant(-1), 'constant: value must be a finite number >= 0, got -1'],
    ['linearWarmup', () => linearWarmup({ peak: 1, warmupSteps: 0 }), 'linearWarmup: warmupSteps must be an integer >= 1, got 0'],
    ['linearWarmup', () => linearWarmup({ peak: Number.NaN, warmupSteps: 1 }), 'linearWarmup: peak must be a finite number >= 0, got NaN'],
    ['cosineDecay', () => cosineDecay({ initial: 1, decaySteps: 2.5 }), 'cosineDecay: decaySteps must be an integer >= 1, got 2.5'],
    ['cosineDecay', () => cosineDecay({ initial: 1, decaySteps: 10, alpha: -1 }), 'cosineDecay: alpha must be a finite number >= 0, got -1'],
    [
      'exponentialDecay',
      () => exponentialDecay({ initial: 1, decayRate: 0, decaySteps: 10 }),
      'exponentialDecay: decayRate must be a finite number > 0, got 0',
    ],
    [
      'warmupCosineDecay',
      () => warmupCosineDecay({ peak: 1, warmupSteps: 10, decaySteps: 10 }),
      'warmupCosineDecay: decaySteps must be an integer > warmupSteps (10): it counts the warm-up too, got 10',
    ],
    [
      'piecewiseConstant',
      () => piecewiseConstant({ boundaries: [10, 5], values: [1, 2, 3] }),
      'piecewiseConstant: boundaries must be strictly increasing, got [10, 5]',
    ],
    [
      'piecewiseConstant',
      () => piecewiseConstant({ boundaries: [10], values: [1] }),
      'piecewiseConstant: values must be an array of boundaries.length + 1 = 2 values, got [1]',
    ],
    [
      'piecewiseConstant',
      () => piecewiseConstant({ boundaries: [10], values: [1, 2], extra: 1 } as never),
      'piecewiseConstant: extra must be absent (piecewiseConstant takes boundaries, values), got 1',
    ],
  ])('%s: %#', (_fn, body, message) => {
    expect(body).toThrow(ConfigError);
    expect(body).toThrow(message);
  });
});
