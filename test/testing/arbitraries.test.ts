import * as tf from '@tensorflow/tfjs';
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { meanSquaredError } from '../../lib/models/losses/meanSquaredError.js';
import { batchArbitrary } from '../../lib/testing/batchArbitrary.js';
import { batchFromValues } from '../../lib/testing/batchFromValues.js';
import { gradientSampleArbitrary } from '../../lib/testing/gradientSampleArbitrary.js';
import { paramsArbitrary } from '../../lib/testing/paramsArbitrary.js';
import { paramsFromValues } from '../../lib/testing/paramsFromValues.js';
import { splitArbitrary } from '../../lib/testing/splitArbitrary.js';
import { trainOptionsArbitrary } from '../../lib/testing/trainOptionsArbitrary.js';
import { trainOptionsFromValues } from '../../lib/testing/trainOptionsFromValues.js';
import { train } from '../../lib/train/train.js';
import { linear } from '../support/fixtures.js';
import { expectNoLeaksSync } from '../support/leaks.js';

describe('arbitraries', () => {
  it('splitArbitrary: every split has parts >= 1 summing to the examples, within the bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(fc.constant(n), splitArbitrary(n, { maxParts: Math.min(n, 5) }))),
        ([n, sizes]) => {
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
          expect(sizes.every((s) => Number.isInteger(s) && s >= 1)).toBe(true);
          expect(sizes.length).toBeLessThanOrEqual(5);
        },
      ),
    );
  });

  it('splitArbitrary draws uneven splits, and at least minParts parts', () => {
    const drawn = fc.sample(splitArbitrary(12, { minParts: 3 }), { numRuns: 50, seed: 1 });
    expect(drawn.every((s) => s.length >= 3)).toBe(true);
    expect(drawn.some((s) => new Set(s).size > 1)).toBe(true);
  });

  it('batchArbitrary: batches of the given shapes, each label kind as documented, made into tensors without leaks', () => {
    fc.assert(
      fc.property(fc.constantFrom('real' as const, 'one-hot' as const, 'binary' as const), fc.integer({ min: 1, max: 3 }), (labels, classes) =>
        fc.assert(
          fc.property(batchArbitrary({ xShape: [2, 3], yShape: [classes], minExamples: 2, maxExamples: 5, labels }), (values) => {
            expect(values.examples).toBeGreaterThanOrEqual(2);
            expect(values.examples).toBeLessThanOrEqual(5);
            expect(values.xShape).toEqual([values.examples, 2, 3]);
            expect(values.ys).toHaveLength(values.examples * classes);
            if (labels === 'binary') expect(values.ys.every((v) => v === 0 || v === 1)).toBe(true);
            if (labels === 'one-hot')
              for (let row = 0; row < values.examples; row++)
                expect(Array.from(values.ys.slice(row * classes, (row + 1) * classes)).sort()).toEqual([...Array(classes - 1).fill(0), 1]);
            expectNoLeaksSync(() => {
              const last = batchFromValues(values, values.examples - 1);
              expect(last.xs.shape).toEqual([1, 2, 3]);
              expect(Array.from(last.xs.dataSync())).toEqual(Array.from(values.xs.slice(-6)));
              tf.dispose([last.xs, last.ys]);
            });
          }),
          { numRuns: 5 },
        ),
      ),
      { numRuns: 6 },
    );
  });

  it('paramsArbitrary and gradientSampleArbitrary: the shapes asked for; counts of items at least 1', () => {
    fc.assert(
      fc.property(paramsArbitrary({ w: [2, 3], b: [3] }, 0.5), gradientSampleArbitrary({ w: [4] }, { count: 'items', maxExamples: 3 }), (params, sample) => {
        expect(params['w']!.shape).toEqual([2, 3]);
        expect(params['w']!.values.every((v) => Math.abs(v) <= 0.5)).toBe(true);
        expect(sample.grads['w']!.values).toHaveLength(4);
        expect(sample.count).toBeGreaterThanOrEqual(1);
        expect(sample.count).toBeLessThanOrEqual(4 * sample.examples);
        expectNoLeaksSync(() => tf.dispose(Object.values(paramsFromValues(params))));
      }),
      { numRuns: 20 },
    );
  });

  it('trainOptionsArbitrary: train accepts every drawn configuration', () => {
    const model = linear(2, 1);
    fc.assert(
      fc.property(trainOptionsArbitrary(), (values) => {
        expect(() => train(trainOptionsFromValues(values, model, meanSquaredError))).not.toThrow();
      }),
    );
    tf.dispose(Object.values(model.params));
  });

  it('rejects invalid shapes and bounds with a ConfigError naming the field and the value', () => {
    expect(() => batchArbitrary({ xShape: [0], yShape: [1] })).toThrow(/batchArbitrary: xShape must be an array of integers >= 1, got \[0\]/);
    expect(() => batchArbitrary({ xShape: [1], yShape: [], labels: 'one-hot' })).toThrow(ConfigError);
    expect(() => splitArbitrary(0)).toThrow(/splitArbitrary: examples must be an integer >= 1, got 0/);
    expect(() => splitArbitrary(4, { minParts: 5 })).toThrow(/minParts must be an integer in \[1, 4\], got 5/);
    expect(() => paramsArbitrary({})).toThrow(/paramsArbitrary: shapes must be/);
    expect(() => trainOptionsArbitrary({ optimizers: ['lion' as 'sgd'] })).toThrow(/trainOptionsArbitrary: optimizers must be/);
    expect(() => batchFromValues(fc.sample(batchArbitrary({ xShape: [1], yShape: [1], maxExamples: 2 }), 1)[0]!, 0, 3)).toThrow(/batchFromValues: start, end must be/);
  });
});
