// `gradstream train`: its options, defaults and help, and the check of what was given.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError, optimizerNames, type OptimizerName } from 'gradstream';
import type { TrainConfig } from '../types.js';
import { BACKENDS, DEFAULT_PORT, MODELS, integerOption, positiveOption, servedOptions, wordOption, type Raw } from './optionValues.js';

const DATASET_SIZE = 10_000;

/** The default learning rate of each optimizer, when `--lr` is not given. */
const defaultLearningRate: Readonly<Record<OptimizerName, number>> = {
  sgd: 0.1,
  momentum: 0.05,
  adam: 0.01,
  adamw: 0.01,
  rmsprop: 0.001,
  adagrad: 0.05,
};

/** A timestamp usable as a folder name on every platform: `2024-05-01T12-30-00`. */
const stamp = (date: Date): string => date.toISOString().slice(0, 19).replace(/:/g, '-');

const sizes = (fn: string) => (raw: Raw) =>
  pipe(
    E.Do,
    E.bind('trainSize', () => integerOption(fn, '--train-size', 1)(raw['trainSize'])),
    E.bind('testSize', () => integerOption(fn, '--test-size', 1)(raw['testSize'])),
    E.filterOrElse(
      ({ trainSize, testSize }) => trainSize + testSize <= DATASET_SIZE,
      ({ trainSize, testSize }) =>
        new ConfigError(fn, '--train-size + --test-size', trainSize + testSize, `at most the ${DATASET_SIZE} digits available`),
    ),
  );

/** Pure validation of `train`'s raw option values (strings from the command line, or defaults). */
export const checkTrain = (raw: Raw): E.Either<ConfigError, TrainConfig> => {
  const fn = 'gradstream train';
  return pipe(
    E.Do,
    E.bind('model', () => wordOption(fn, '--model', MODELS)(raw['model'])),
    E.bind('microBatch', () => integerOption(fn, '--micro-batch', 1)(raw['microBatch'])),
    E.bind('accumulate', () => integerOption(fn, '--accumulate', 1)(raw['accumulate'])),
    E.bind('optimizer', () => wordOption(fn, '--optimizer', optimizerNames)(raw['optimizer'])),
    E.bind('learningRate', ({ optimizer }) =>
      raw['lr'] === 'auto' ? E.right(defaultLearningRate[optimizer]) : positiveOption(fn, '--lr')(raw['lr']),
    ),
    E.bind('warmup', () => integerOption(fn, '--warmup', 0)(raw['warmup'])),
    E.bind('clip', () => (raw['clip'] === 'off' ? E.right(null) : positiveOption(fn, '--clip')(raw['clip']))),
    E.bind('epochs', () => integerOption(fn, '--epochs', 1)(raw['epochs'])),
    E.bind('backend', () => wordOption(fn, '--backend', BACKENDS)(raw['backend'])),
    E.bind('workers', (): E.Either<ConfigError, number | 'auto'> =>
      raw['workers'] === 'auto' ? E.right('auto') : integerOption(fn, '--workers', 0)(raw['workers']),
    ),
    E.bind('seed', () => integerOption(fn, '--seed', 0)(raw['seed'])),
    E.bind('sizes', () => sizes(fn)(raw)),
        E.bind('served', () => servedOptions(fn)(raw)),
    E.bind('checkpointEvery', (): E.Either<ConfigError, number | 'epoch'> =>
      raw['checkpointEvery'] === 'epoch' ? E.right('epoch') : integerOption(fn, '--checkpoint-every', 1)(raw['checkpointEvery']),
    ),
    E.map(({ sizes: { trainSize, testSize }, served: { port, host }, ...rest }) => ({
      command: 'train' as const,
      ...rest,
      port,
      host,
      trainSize,
      testSize,
      // Flags without a value: commander gives true or their default, false.
      quiet: raw['quiet'] === true,
      dashboard: raw['dashboard'] === true,
      out: String(raw['out']),
      checkpointDir: raw['checkpointDir'] === undefined ? join(String(raw['out']), 'checkpoints') : String(raw['checkpointDir']),
      resume: raw['resume'] === undefined ? null : String(raw['resume']),
    })),
  );
};

/** The model and micro-batch options that train and verify share. */
export const modelOptions = (command: Command): Command =>
    command
      .addOption(new Option('--model <name>', `model: ${MODELS.join(' | ')} (mlp: 784-128-10; cnn: a small conv net)`).default('mlp'))
      .addOption(new Option('--micro-batch <n>', 'examples per micro-batch').default(32))
      .addOption(new Option('--accumulate <n>', 'micro-batches accumulated per update (global batch = micro-batch × accumulate)').default(8));

/** Adds `train` to the program; `chosen` records its raw values when it is the command given. */
export function defineTrain(root: Command, now: Date, chosen: (raw: Raw) => void): void {
  modelOptions(root.command('train').description('train a digit classifier on the MNIST digits of the mnist package'))
    .addOption(new Option('--optimizer <name>', `optimizer: ${optimizerNames.join(' | ')}`).default('adam'))
    .addOption(
      new Option('--lr <rate>', 'peak learning rate').default(
        'auto',
        optimizerNames.map((name) => `${defaultLearningRate[name]} for ${name}`).join(', '),
      ),
    )
    .addOption(new Option('--warmup <updates>', 'updates of linear learning-rate warm-up').default(0))
    .addOption(new Option('--clip <norm>', 'clip the accumulated gradient to this global norm').default('off', 'off'))
    .addOption(new Option('--epochs <n>', 'passes over the training set').default(3))
    .addOption(new Option('--backend <name>', `TensorFlow.js backend: ${BACKENDS.join(' | ')}`).default('wasm'))
    .addOption(
      new Option('--workers <n|auto>', "worker threads computing each window's micro-batches beside the main thread (0: none; auto: one per core but the main thread's; same metrics either way; they pay in long runs of larger models, see docs/performance.md)").default(0),
    )
    .addOption(new Option('--seed <n>', 'seed of the split, the shuffles and the initial weights').default(42))
    .addOption(new Option('--train-size <n>', 'training examples').default(8000))
    .addOption(new Option('--test-size <n>', 'test examples (train + test <= 10000)').default(2000))
    .addOption(new Option('--out <dir>', 'run folder for metrics.jsonl, summary.json, loss.svg').default(`runs/${stamp(now)}`, 'runs/<timestamp>'))
    .addOption(new Option('--quiet', 'print nothing but errors').default(false))
    .addOption(new Option('--dashboard', 'serve a live dashboard of the run (until Ctrl-C after it ends)').default(false))
    .addOption(new Option('--port <n>', 'the dashboard\'s port (0: any free port)').default(DEFAULT_PORT))
    .addOption(new Option('--host <address>', 'the interface the dashboard binds').default('127.0.0.1'))
    .addOption(new Option('--checkpoint-every <updates>', 'save a checkpoint every this many updates').default('epoch', 'every epoch'))
    .addOption(new Option('--checkpoint-dir <dir>', 'where checkpoints go (default <out>/checkpoints)'))
    .addOption(new Option('--resume <dir|latest>', 'continue from a checkpoint directory, or the newest valid one in --checkpoint-dir'))
    .action((options: Record<string, unknown>) => chosen(options));

}
