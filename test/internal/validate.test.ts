import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { fc, test as prop } from '@fast-check/vitest';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { integerAtLeast, positive, unitInterval, withDefault } from '../../lib/internal/validate.js';

describe('validators', () => {
  it('reject a negative learning rate with a message naming function, field and value', () => {
    const result = positive('adam', 'learningRate')(-1);
    expect(E.isLeft(result)).toBe(true);
    const error = (result as E.Left<ConfigError>).left;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('adam: learningRate must be a finite number > 0, got -1');
    expect(error.input).toBe(-1);
  });

  it('reject NaN and name it in the message', () => {
    const result = positive('sgd', 'learningRate')(Number.NaN);
    expect(E.isLeft(result) && result.left.message).toContain('got NaN');
  });

  it('reject beta = 1, which would divide by zero in bias correction', () => {
    expect(E.isLeft(unitInterval('adam', 'beta1')(1))).toBe(true);
  });

  it('fill in a default only for undefined', () => {
    expect(withDefault(positive('f', 'x'), 3)(undefined)).toEqual(E.right(3));
    expect(E.isLeft(withDefault(positive('f', 'x'), 3)(0))).toBe(true);
  });

  prop.prop([fc.integer({ min: -1000, max: 1000 })])('an integer is accepted iff it is >= min', (n) => {
    expect(E.isRight(integerAtLeast('f', 'n', 1)(n))).toBe(n >= 1);
  });

  prop.prop([fc.double({ noInteger: true, noDefaultInfinity: false })])(
    'a fractional or non-finite value is never an integer',
    (x) => {
      fc.pre(!Number.isInteger(x));
      expect(E.isLeft(integerAtLeast('f', 'n', 1)(x))).toBe(true);
    },
  );
});
