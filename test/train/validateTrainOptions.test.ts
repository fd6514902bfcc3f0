import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { accumulatingOptimizer } from '../../lib/fit/accumulatingOptimizer.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { validateTrainOptions, type TrainOptions } from '../../lib/train/validateTrainOptions.js';
import { linear, mse } from '../support/fixtures.js';

const full = () => ({ model: linear(3, 2), loss: mse, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 });

const leftOf = (options: unknown): ConfigError => {
  const result = validateTrainOptions(options as TrainOptions<unknown>);
  if (E.isRight(result)) throw new Error('expected a ConfigError');
  return result.left;
};

describe('a missing required option says it is required', () => {
  it.each(['model', 'loss', 'optimizer', 'accumulationSteps'] as const)('train without %s: "train: %s is required", and what to pass', (field) => {
    const { [field]: _, ...rest } = full();
    const error = leftOf(rest);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^train: ${field} is required: \\w`));
    expect(error.message).not.toMatch(/got undefined/);
  });

  it('train without options at all: "train: options is required", thrown before any stream runs', () => {
    expect(() => train(undefined as never)).toThrow(/^train: options is required: an object with model, loss, optimizer and accumulationSteps$/);
  });

  it('a wrong value still says "must be ..., got ..."', () => {
    expect(leftOf({ ...full(), accumulationSteps: 0 }).message).toMatch(/^train: accumulationSteps must be .*, got 0$/);
  });

  it('accumulatingOptimizer without inner, options or steps says which is required', () => {
    const inner = tf.train.sgd(0.1);
    expect(() => accumulatingOptimizer(undefined as never, { steps: 2 })).toThrow(/^accumulatingOptimizer: inner is required: a tfjs optimizer/);
    expect(() => accumulatingOptimizer(inner, undefined as never)).toThrow(/^accumulatingOptimizer: options is required: an object with steps/);
    expect(() => accumulatingOptimizer(inner, {} as never)).toThrow(/^accumulatingOptimizer: steps is required: an integer >= 1/);
    expect(() => accumulatingOptimizer(inner, { steps: 0 })).toThrow(/^accumulatingOptimizer: steps must be .*, got 0$/);
    inner.dispose();
  });
});
