import { describe, expect, it } from 'vitest';
import { fc, test as prop } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import { optimizerNames } from 'gradstream';
import { parseCommandLine } from '../../src/cli/parseCommandLine.js';
import type { CliCommand, CliHelp, TrainConfig } from '../../src/cli/types.js';
import { CliError } from '../../src/cli/CliError.js';

const now = new Date('2024-05-01T12:30:00.000Z');
const parse = (...argv: string[]) => parseCommandLine(argv, { now });
const config = (...argv: string[]): CliCommand => {
  const result = parse(...argv);
  if (E.isLeft(result)) throw new Error(`expected a config, got ${JSON.stringify(result.left)}`);
  return result.right;
};
const failure = (...argv: string[]): CliError => {
  const result = parse(...argv);
  if (E.isRight(result) || !(result.left instanceof CliError)) throw new Error('expected a CliError');
  return result.left;
};
const help = (...argv: string[]): string => {
  const result = parse(...argv);
  if (E.isRight(result) || result.left instanceof CliError) throw new Error('expected help');
  return (result.left as CliHelp).text;
};

describe('parseCommandLine: train', () => {
  it('fills in every default', () => {
    expect(config('train')).toEqual({
      command: 'train',
      model: 'mlp',
      microBatch: 32,
      accumulate: 8,
      optimizer: 'adam',
      learningRate: 0.01,
      warmup: 0,
      clip: null,
      epochs: 3,
      backend: 'wasm',
      workers: 0,
      seed: 42,
      trainSize: 8000,
      testSize: 2000,
      out: 'runs/2024-05-01T12-30-00',
      quiet: false,
      dashboard: false,
      port: 6006,
      host: '127.0.0.1',
      checkpointEvery: 'epoch',
      checkpointDir: 'runs/2024-05-01T12-30-00/checkpoints',
      resume: null,
    });
  });

  it('reads every option', () => {
    const argv = ['train', '--model', 'cnn', '--micro-batch', '16', '--accumulate', '4', '--optimizer', 'adamw', '--lr', '3e-4'];
    argv.push('--warmup', '10', '--clip', '1.5', '--epochs', '2', '--backend', 'cpu', '--seed', '7', '--train-size', '500');
    argv.push('--test-size', '100', '--out', 'runs/x', '--quiet', '--dashboard', '--port', '0', '--host', '0.0.0.0', '--checkpoint-every', '5', '--checkpoint-dir', 'ck', '--resume', 'latest');
    expect(config(...argv)).toEqual({
      command: 'train',
      model: 'cnn',
      microBatch: 16,
      accumulate: 4,
      optimizer: 'adamw',
      learningRate: 3e-4,
      warmup: 10,
      clip: 1.5,
      epochs: 2,
      backend: 'cpu',
      workers: 0,
      seed: 7,
      trainSize: 500,
      testSize: 100,
      out: 'runs/x',
      quiet: true,
      dashboard: true,
      port: 0,
      host: '0.0.0.0',
      checkpointEvery: 5,
      checkpointDir: 'ck',
      resume: 'latest',
    });
  });

  it('reads the dashboard command: run folders, port and host', () => {
    expect(config('dashboard', 'runs/a', 'runs/b', '--port', '7000')).toEqual({
      command: 'dashboard',
      runs: ['runs/a', 'runs/b'],
      port: 7000,
      host: '127.0.0.1',
    });
  });

  it.each([
    [['dashboard'], /missing required argument/],
    [['dashboard', 'runs/a', '--port', '70000'], /gradstream dashboard: --port must be an integer from 0 to 65535, got 70000/],
    [['train', '--port', '-1'], /gradstream train: --port must be an integer >= 0, got -1/],
  ])('rejects %j naming the fault', (argv, message) => {
    const result = parseCommandLine(argv);
    expect(E.isLeft(result) && result.left instanceof CliError && message.test(result.left.message)).toBe(true);
  });

  it("takes --workers as a count (default 0: no worker, they do not pay at the default micro-batch) or 'auto'", () => {
    expect((config('train') as TrainConfig).workers).toBe(0);
    expect((config('train', '--workers', '2') as TrainConfig).workers).toBe(2);
    expect((config('train', '--workers', 'auto') as TrainConfig).workers).toBe('auto');
    expect((config('train', '--workers', '0') as TrainConfig).workers).toBe(0);
    expect(failure('train', '--workers', '-1').message).toBe('gradstream train: --workers must be an integer >= 0, got -1');
  });

  it('accepts --opt=value as well as --opt value', () => {
    expect((config('train', '--accumulate=2') as TrainConfig).accumulate).toBe(2);
  });

  it.each(optimizerNames)('offers the library\'s optimizer %s', (optimizer) => {
    expect((config('train', '--optimizer', optimizer) as TrainConfig).optimizer).toBe(optimizer);
  });

  it.each([
    ['sgd', 0.1],
    ['momentum', 0.05],
    ['adam', 0.01],
    ['rmsprop', 0.001],
    ['adagrad', 0.05],
  ])('gives %s its default learning rate when --lr is not given', (optimizer, lr) => {
    expect((config('train', '--optimizer', optimizer) as TrainConfig).learningRate).toBe(lr);
  });

  it.each([
    [['--accumulate', '0'], 'gradstream train: --accumulate must be an integer >= 1, got 0', '--accumulate'],
    [['--lr', 'abc'], 'gradstream train: --lr must be a finite number > 0, got "abc"', '--lr'],
    [['--model', 'foo'], 'gradstream train: --model must be one of "mlp", "cnn", got "foo"', '--model'],
    [['--micro-batch', '2.5'], 'gradstream train: --micro-batch must be an integer >= 1, got 2.5', '--micro-batch'],
    [['--clip', '-1'], 'gradstream train: --clip must be a finite number > 0, got -1', '--clip'],
    [['--epochs', ''], 'gradstream train: --epochs must be an integer >= 1, got ""', '--epochs'],
    [['--optimizer', 'adma'], 'gradstream train: --optimizer must be one of "sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad", got "adma"', '--optimizer'],
    [['--backend', 'webgl'], 'gradstream train: --backend must be one of "wasm", "cpu", got "webgl"', '--backend'],
  ])('rejects %j with one line naming the option and the value', (args, message, option) => {
    const error = failure('train', ...args);
    expect(error.message).toBe(message);
    expect(error.option).toBe(option);
    expect(error.exitCode).toBe(2);
  });

  it('rejects train and test sizes over the 10,000 digits', () => {
    expect(failure('train', '--train-size', '9000', '--test-size', '1001').message).toBe(
      'gradstream train: --train-size + --test-size must be at most the 10000 digits available, got 10001',
    );
  });

  it('rejects an unknown option in one line, naming it', () => {
    const error = failure('train', '--foo', '1');
    expect(error.message).toMatch(/^gradstream train: unknown option '--foo'/);
    expect(error.message).not.toContain('\n');
    expect(error.option).toBe('--foo');
  });

  it('suggests the option meant by a misspelt one', () => {
    expect(failure('train', '--acumulate', '2').message).toContain('--accumulate');
  });

  it('rejects an option without its value', () => {
    expect(failure('train', '--lr').message).toMatch(/^gradstream train: option '--lr <rate>' argument missing$/);
  });

  it('rejects an extra argument', () => {
    expect(failure('train', 'extra').message).toMatch(/^gradstream train: too many arguments/);
  });

  prop.prop([fc.integer({ min: -1000, max: 1000 })])('accepts --accumulate n iff n is an integer >= 1', (n) => {
    expect(E.isRight(parse('train', '--accumulate', String(n)))).toBe(n >= 1);
  });

  it('lists every option with its default in --help', () => {
    const text = help('train', '--help');
    const expected = [
      ['--model', '"mlp"'],
      ['--micro-batch', '32'],
      ['--accumulate', '8'],
      ['--optimizer', '"adam"'],
      ['--lr', '0.1 for sgd, 0.05 for momentum, 0.01 for adam, 0.01 for adamw, 0.001 for rmsprop, 0.05 for adagrad'],
      ['--warmup', '0'],
      ['--clip', 'off'],
      ['--epochs', '3'],
      ['--backend', '"wasm"'],
      ['--seed', '42'],
      ['--train-size', '8000'],
      ['--test-size', '2000'],
      ['--out', 'runs/<timestamp>'],
      ['--quiet', 'false'],
    ];
    const flat = text.replace(/\s+/g, ' ');
    for (const [option, value] of expected) {
      expect(flat).toMatch(new RegExp(`${option} .*?\\(default: ${value!.replace(/[.*+?^${}()|[\]\\<>]/g, '\\$&')}\\)`));
    }
  });
});

describe('parseCommandLine: verify and the program', () => {
  it('fills in verify\'s defaults', () => {
    expect(config('verify')).toEqual({
      command: 'verify',
      model: 'mlp',
      microBatch: 32,
      accumulate: 8,
      backend: 'wasm',
      seed: 42,
      tolerance: 1e-5,
    });
  });

  it('rejects a bad verify value in one line', () => {
    expect(failure('verify', '--tolerance', '0').message).toBe('gradstream verify: --tolerance must be a finite number > 0, got 0');
  });

  it('lists verify\'s options with their defaults in --help', () => {
    const text = help('verify', '--help').replace(/\s+/g, ' ');
    for (const option of ['--model', '--micro-batch', '--accumulate', '--backend', '--seed', '--tolerance']) {
      expect(text).toMatch(new RegExp(`${option} .*?\\(default: `));
    }
  });

  it('lists the commands in the program\'s --help', () => {
    const text = help('--help');
    expect(text).toContain('train');
    expect(text).toContain('verify');
  });

  it('rejects an unknown command', () => {
    expect(failure('trian').message).toMatch(/^gradstream: unknown command 'trian'/);
  });

  it('rejects a missing command with exit code 2', () => {
    expect(failure().exitCode).toBe(2);
  });

  it('prints nothing and exits nothing: the parse is pure', () => {
    const before = process.exitCode;
    parse('train', '--accumulate', '0');
    parse('--help');
    expect(process.exitCode).toBe(before);
  });
});
