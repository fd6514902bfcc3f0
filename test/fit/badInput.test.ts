import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accumulatingOptimizer, type AccumulatingOptimizerOptions } from '../../lib/fit/accumulatingOptimizer.js';
import { BatchError } from '../../lib/errors/BatchError.js';
import { ConfigError } from '../../lib/errors/ConfigError.js';
import { ParamMismatchError } from '../../lib/errors/ParamMismatchError.js';
import { sgd } from '../../lib/optim/sgd.js';

/** Calls accumulatingOptimizer with whatever it is given, as JavaScript callers may. */
const make = (inner: unknown, options: unknown) => () =>
  accumulatingOptimizer(inner as tf.Optimizer, options as AccumulatingOptimizerOptions);

/** The ConfigError `body` throws, checked to be thrown before any tensor is made. */
function configErrorOf(body: () => unknown): ConfigError {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    body();
  } catch (e) {
    caught = e;
  }
  expect(tf.memory().numTensors).toBe(before);
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

describe('accumulatingOptimizer refuses bad input with a ConfigError that says what to pass, before making anything', () => {
  const inner = tf.train.sgd(0.1);

  it.each([0, -1, 1.5, Number.NaN, Infinity, '4', undefined, null])('steps %s is not a positive integer', (steps) => {
    const error = configErrorOf(make(inner, { steps }));
    expect([error.fn, error.field]).toEqual(['accumulatingOptimizer', 'steps']);
    // A missing steps says it is required (test/train/validateTrainOptions.test.ts), any other value is shown.
    expect(error.message).toMatch(/steps (must be an integer >= 1, got|is required: an integer >= 1)/);
  });

  it.each([undefined, null, 4, 'sgd', [tf.train.sgd(0.1)]])('options %s is not an options object', (options) => {
    expect(configErrorOf(make(inner, options)).field).toBe('options');
  });

  it('a misspelt option is named', () => {
    expect(configErrorOf(make(inner, { steps: 2, step: 4 })).message).toContain('step must be absent (did you mean steps? accumulatingOptimizer takes steps, epochEnd)');
  });

  it("epochEnd must be 'carry' or 'apply'", () => {
    expect(configErrorOf(make(inner, { steps: 2, epochEnd: 'drop' })).message).toBe(
      'accumulatingOptimizer: epochEnd must be one of "carry", "apply", got "drop"',
    );
  });

  it.each([
    ['undefined', undefined],
    ['a string', 'adam'],
    ['a plain object', { applyGradients: 1 }],
    ['a function', () => 0],
  ])('an inner that is %s is not a tfjs optimizer', (_, value) => {
    const error = configErrorOf(make(value, { steps: 2 }));
    expect(error.field).toBe('inner');
    expect(error.message).toMatch(/(must be|is required:) a tfjs optimizer such as tf\.train\.sgd\(0\.1\) or tf\.train\.adam\(1e-3\)/);
  });

  it('a gradstream optimizer passed as inner is named as such, and sent to train()', () => {
    const error = configErrorOf(make(sgd({ learningRate: 0.1 }), { steps: 2 }));
    expect(error.message).toBe(
      'accumulatingOptimizer: inner must be a tfjs optimizer such as tf.train.sgd(0.1) or tf.train.adam(1e-3); a gradstream optimizer such as sgd({ learningRate }) goes to train({ optimizer }) instead, got "a gradstream optimizer ({ init, update })"',
    );
  });

  it('an accumulating optimizer passed as inner is refused, with the steps to use instead', () => {
    const wrapped = accumulatingOptimizer(tf.train.sgd(0.1), { steps: 2 });
    expect(configErrorOf(make(wrapped, { steps: 4 })).message).toContain('not an accumulating one (for a × b batches use one wrapper with steps: a × b)');
    wrapped.dispose();
  });

  it('reportBatchSize refuses a size that is not a positive integer', () => {
    const optimizer = accumulatingOptimizer(tf.train.sgd(0.1), { steps: 2 });
    expect(configErrorOf(() => optimizer.reportBatchSize(0)).message).toBe('accumulatingOptimizer.reportBatchSize: size must be an integer >= 1, got 0');
    optimizer.dispose();
  });
});

describe('accumulatingOptimizer refuses a batch that does not fit its window, changing nothing', () => {
  const setup = () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'fit-bad-input-v');
    const w = tf.variable(tf.tensor1d([3]), true, 'fit-bad-input-w');
    const optimizer = accumulatingOptimizer(tf.train.sgd(1), { steps: 3 });
    return { v, w, optimizer };
  };

  it('a window mixing sized and unsized batches is a BatchError', () => {
    const { v, w, optimizer } = setup();
    const g = { [v.name]: tf.tensor1d([1, 1]), [w.name]: tf.tensor1d([1]) };
    optimizer.reportBatchSize(4);
    optimizer.applyGradients(g);
    const before = tf.memory().numTensors;
    expect(() => optimizer.applyGradients(g)).toThrow(BatchError);
    expect(() => optimizer.applyGradients(g)).toThrow('batch 2 of the window has no reported size, unlike the batches before it');
    expect(tf.memory().numTensors).toBe(before);
    expect([optimizer.window.batches, optimizer.window.examples]).toEqual([1, 4]);
    tf.dispose([v, w, ...Object.values(g)]);
    optimizer.dispose();
  });

  it('a batch whose gradients name other variables, or other shapes, is a ParamMismatchError', () => {
    const { v, w, optimizer } = setup();
    const g1 = { [v.name]: tf.tensor1d([1, 1]), [w.name]: tf.tensor1d([1]) };
    optimizer.applyGradients(g1);
    const missing = { [v.name]: tf.tensor1d([1, 1]) };
    const reshaped = { [v.name]: tf.tensor1d([1, 1, 1]), [w.name]: tf.tensor1d([1]) };
    const before = tf.memory().numTensors;
    expect(() => optimizer.applyGradients(missing)).toThrow(ParamMismatchError);
    expect(() => optimizer.applyGradients(reshaped)).toThrow("gradient shape [3] differs from the window's [2]");
    expect(tf.memory().numTensors).toBe(before);
    expect(optimizer.window.batches).toBe(1);
    tf.dispose([v, w, ...Object.values(g1), ...Object.values(missing), ...Object.values(reshaped)]);
    optimizer.dispose();
  });

  it('hand-worked: gradients 1, 2 and 6 of batches of 1, 1 and 2 examples give the step −lr·(1 + 2 + 12) / 4', () => {
    const { v, w, optimizer } = setup();
    for (const [g, size] of [[1, 1], [2, 1], [6, 2]] as const) {
      const grads = { [v.name]: tf.fill([2], g), [w.name]: tf.fill([1], g) };
      optimizer.reportBatchSize(size);
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
    }
    expect(Array.from(v.dataSync())).toEqual([1 - 3.75, 2 - 3.75]);
    expect(Array.from(w.dataSync())).toEqual([3 - 3.75]);
    expect(optimizer.iterations).toBe(1);
    tf.dispose([v, w]);
    optimizer.dispose();
  });
});
