import { describe, expect, it } from 'vitest';
import { fc, test as prop } from '@fast-check/vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { trainTestSplit } from '../../lib/data/trainTestSplit.js';
import { identities, numberedExamples } from '../support/examples.js';

describe('trainTestSplit', () => {
  const examples = numberedExamples(100);

  it('returns sets of the requested sizes', () => {
    const { train, test } = trainTestSplit(examples, { trainSize: 70, testSize: 20, seed: 1 });
    expect([train.count, test.count]).toEqual([70, 20]);
    expect(train.images.length).toBe(70 * 4);
    expect(test.labels.length).toBe(20 * 3);
  });

  prop.prop([fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 40 }), fc.nat()])(
    'train and test never share an example, and each holds distinct examples, for any sizes and seed',
    (trainSize, testSize, seed) => {
      const { train, test } = trainTestSplit(examples, { trainSize, testSize, seed });
      const ids = [...identities(train), ...identities(test)];
      expect(new Set(ids).size).toBe(trainSize + testSize);
    },
  );

  prop.prop([fc.nat()])('the same seed gives the same split, bit for bit', (seed) => {
    const a = trainTestSplit(examples, { trainSize: 50, testSize: 10, seed });
    const b = trainTestSplit(examples, { trainSize: 50, testSize: 10, seed });
    expect(a).toEqual(b);
  });

  it('different seeds give different splits', () => {
    const a = trainTestSplit(examples, { trainSize: 50, testSize: 10, seed: 1 });
    const b = trainTestSplit(examples, { trainSize: 50, testSize: 10, seed: 2 });
    expect(identities(a.train)).not.toEqual(identities(b.train));
  });

  it('keeps each label with its image', () => {
    const { train } = trainTestSplit(examples, { trainSize: 30, testSize: 5, seed: 3 });
    identities(train).forEach((id, i) => expect(train.labels[i * 3 + (id % 3)]).toBe(1));
  });

  it('rejects trainSize 0 with a ConfigError naming the field and the value', () => {
    expect(() => trainTestSplit(examples, { trainSize: 0, testSize: 10, seed: 1 })).toThrow(
      new ConfigError('trainTestSplit', 'trainSize', 0, 'an integer >= 1'),
    );
  });

  it('rejects a fractional testSize', () => {
    expect(() => trainTestSplit(examples, { trainSize: 10, testSize: 2.5, seed: 1 })).toThrow(/testSize .* got 2\.5/);
  });

  it('rejects sizes that add up to more than the examples available', () => {
    expect(() => trainTestSplit(examples, { trainSize: 90, testSize: 11, seed: 1 })).toThrow(
      'trainTestSplit: trainSize + testSize must be at most the 100 examples available, got 101',
    );
  });
});
