import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError, optimizerNames, type OptimizerName } from 'gradstream';
import { boolean, integerAtLeast, oneOf, positive, type Validator } from '../internal/validate.js';
import { CliError } from './CliError.js';
import type { CliCommand, CliHelp, DashboardConfig, TrainConfig, VerifyConfig, VerifyModelConfig } from './types.js';

/** Options of {@link parseCommandLine}. */
export interface ParseOptions {
  /** The time that names the default run folder, `runs/<timestamp>`. Default: now. */
  readonly now?: Date;
}

const MODELS = ['mlp', 'cnn'] as const;
const BACKENDS = ['wasm', 'cpu'] as const;
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

/** Strings that spell a number become that number; anything else is left for the validator to name. */
const numeric = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;

const field =
  <T>(validator: (fn: string, name: string) => Validator<T>, flag: string, fn: string) =>
  (value: unknown): E.Either<ConfigError, T> =>
    validator(fn, flag)(numeric(value));

const sizes = (fn: string) => (raw: Record<string, unknown>) =>
  pipe(
    E.Do,
    E.bind('trainSize', () => field((f, n) => integerAtLeast(f, n, 1), '--train-size', fn)(raw['trainSize'])),
    E.bind('testSize', () => field((f, n) => integerAtLeast(f, n, 1), '--test-size', fn)(raw['testSize'])),
    E.filterOrElse(
      ({ trainSize, testSize }) => trainSize + testSize <= DATASET_SIZE,
      ({ trainSize, testSize }) =>
        new ConfigError(fn, '--train-size + --test-size', trainSize + testSize, `at most the ${DATASET_SIZE} digits available`),
    ),
  );

const DEFAULT_PORT = 6006;

/** The dashboard's `--port` and `--host`. */
const served = (fn: string) => (raw: Record<string, unknown>) =>
  pipe(
    E.Do,
    E.bind('port', () =>
      pipe(
        field((f, n) => integerAtLeast(f, n, 0), '--port', fn)(raw['port']),
        E.filterOrElse(
          (port) => port <= 65535,
          (port) => new ConfigError(fn, '--port', port, 'an integer from 0 to 65535'),
        ),
      ),
    ),
    E.bind('host', () =>
      typeof raw['host'] === 'string' && raw['host'] !== ''
        ? E.right(raw['host'])
        : E.left(new ConfigError(fn, '--host', raw['host'], 'a host name or address')),
    ),
  );

/** Pure validation of `train`'s raw option values (strings from the command line, or defaults). */
const trainConfig = (raw: Record<string, unknown>): E.Either<ConfigError, TrainConfig> => {
  const fn = 'gradstream train';
  return pipe(
    E.Do,
    E.bind('model', () => field((f, n) => oneOf(f, n, MODELS), '--model', fn)(raw['model'])),
    E.bind('microBatch', () => field((f, n) => integerAtLeast(f, n, 1), '--micro-batch', fn)(raw['microBatch'])),
    E.bind('accumulate', () => field((f, n) => integerAtLeast(f, n, 1), '--accumulate', fn)(raw['accumulate'])),
    E.bind('optimizer', () => field((f, n) => oneOf(f, n, optimizerNames), '--optimizer', fn)(raw['optimizer'])),
    E.bind('learningRate', ({ optimizer }) =>
      raw['lr'] === 'auto' ? E.right(defaultLearningRate[optimizer]) : field(positive, '--lr', fn)(raw['lr']),
    ),
    E.bind('warmup', () => field((f, n) => integerAtLeast(f, n, 0), '--warmup', fn)(raw['warmup'])),
    E.bind('clip', () => (raw['clip'] === 'off' ? E.right(null) : field(positive, '--clip', fn)(raw['clip']))),
    E.bind('epochs', () => field((f, n) => integerAtLeast(f, n, 1), '--epochs', fn)(raw['epochs'])),
    E.bind('backend', () => field((f, n) => oneOf(f, n, BACKENDS), '--backend', fn)(raw['backend'])),
    E.bind('workers', (): E.Either<ConfigError, number | 'auto'> =>
      raw['workers'] === 'auto' ? E.right('auto') : field((f, n) => integerAtLeast(f, n, 0), '--workers', fn)(raw['workers']),
    ),
    E.bind('seed', () => field((f, n) => integerAtLeast(f, n, 0), '--seed', fn)(raw['seed'])),
    E.bind('sizes', () => sizes(fn)(raw)),
    E.bind('quiet', () => boolean(fn, '--quiet')(raw['quiet'])),
    E.bind('dashboard', () => boolean(fn, '--dashboard')(raw['dashboard'])),
    E.bind('served', () => served(fn)(raw)),
    E.bind('checkpointEvery', (): E.Either<ConfigError, number | 'epoch'> =>
      raw['checkpointEvery'] === 'epoch' ? E.right('epoch') : field((f, n) => integerAtLeast(f, n, 1), '--checkpoint-every', fn)(raw['checkpointEvery']),
    ),
    E.map(({ sizes: { trainSize, testSize }, served: { port, host }, ...rest }) => ({
      command: 'train' as const,
      ...rest,
      port,
      host,
      trainSize,
      testSize,
      out: String(raw['out']),
      checkpointDir: raw['checkpointDir'] === undefined ? join(String(raw['out']), 'checkpoints') : String(raw['checkpointDir']),
      resume: raw['resume'] === undefined ? null : String(raw['resume']),
    })),
  );
};

/** `--model` names a saved model rather than a built-in one when it is a path to a .json file. */
const isModelFile = (value: unknown): value is string => typeof value === 'string' && /\.json$/i.test(value);

/** Pure validation of `verify`'s raw option values: the MNIST check, or the safety check of a model file. */
const verifyConfig = (raw: Record<string, unknown>): E.Either<ConfigError, VerifyConfig | VerifyModelConfig> => {
  const fn = 'gradstream verify';
  const tolerance = (auto: number) => (raw['tolerance'] === 'auto' ? E.right(auto) : field(positive, '--tolerance', fn)(raw['tolerance']));
  if (isModelFile(raw['model']))
    return pipe(
      E.Do,
      E.bind('examples', () => field((f, n) => integerAtLeast(f, n, 2), '--examples', fn)(raw['examples'])),
      E.bind('backend', () => field((f, n) => oneOf(f, n, BACKENDS), '--backend', fn)(raw['backend'])),
      E.bind('seed', () => field((f, n) => integerAtLeast(f, n, 0), '--seed', fn)(raw['seed'])),
      E.bind('tolerance', () => tolerance(1e-3)),
      E.map((checked) => ({
        command: 'verify-model' as const,
        modelPath: raw['model'] as string,
        data: typeof raw['data'] === 'string' ? raw['data'] : undefined,
        ...checked,
      })),
    );
  if (raw['data'] !== undefined)
    return E.left(new ConfigError(fn, '--data', raw['data'], 'given only with --model path/to/model.json'));
  return pipe(
    E.Do,
    E.bind('model', () => field((f, n) => oneOf(f, n, MODELS), '--model', fn)(raw['model'])),
    E.bind('microBatch', () => field((f, n) => integerAtLeast(f, n, 1), '--micro-batch', fn)(raw['microBatch'])),
    E.bind('accumulate', () => field((f, n) => integerAtLeast(f, n, 1), '--accumulate', fn)(raw['accumulate'])),
    E.bind('backend', () => field((f, n) => oneOf(f, n, BACKENDS), '--backend', fn)(raw['backend'])),
    E.bind('seed', () => field((f, n) => integerAtLeast(f, n, 0), '--seed', fn)(raw['seed'])),
    E.bind('tolerance', () => tolerance(1e-5)),
    E.map((checked) => ({ command: 'verify' as const, ...checked })),
  );
};

/** Pure validation of `dashboard`'s arguments and options. */
const dashboardConfig = (raw: Record<string, unknown>): E.Either<ConfigError, DashboardConfig> => {
  const fn = 'gradstream dashboard';
  const runs = raw['runs'];
  return pipe(
    Array.isArray(runs) && runs.length > 0 && runs.every((r) => typeof r === 'string' && r !== '')
      ? E.right(runs as string[])
      : E.left(new ConfigError(fn, 'RUN_DIR', runs, 'one or more run folders')),
    E.bindTo('runs'),
    E.bind('served', () => served(fn)(raw)),
    E.map(({ runs, served: { port, host } }) => ({ command: 'dashboard' as const, runs, port, host })),
  );
};

/** The `gradstream` program: commands, options, defaults and help; actions record what was chosen. */
const program = (now: Date, chosen: (name: 'train' | 'verify' | 'dashboard', raw: Record<string, unknown>) => void): Command => {
  const root = new Command('gradstream')
    .description('Gradient accumulation as a declarative RxJS stream over TensorFlow.js: train and check a digit classifier.')
    .exitOverride()
    .showSuggestionAfterError(true);

  const common = (command: Command): Command =>
    command
      .addOption(new Option('--model <name>', `model: ${MODELS.join(' | ')} (mlp: 784-128-10; cnn: a small conv net)`).default('mlp'))
      .addOption(new Option('--micro-batch <n>', 'examples per micro-batch').default(32))
      .addOption(new Option('--accumulate <n>', 'micro-batches accumulated per update (global batch = micro-batch × accumulate)').default(8));

  common(root.command('train').description('train a digit classifier on the MNIST digits of the mnist package'))
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
    .action((options: Record<string, unknown>) => chosen('train', options));

  root
    .command('dashboard')
    .description('serve a dashboard comparing run folders written by train (following any still being written)')
    .argument('<RUN_DIR...>', 'run folders (each with metrics.jsonl and, once finished, summary.json)')
    .addOption(new Option('--port <n>', 'port (0: any free port)').default(DEFAULT_PORT))
    .addOption(new Option('--host <address>', 'the interface to bind').default('127.0.0.1'))
    .action((runs: string[], options: Record<string, unknown>) => chosen('dashboard', { ...options, runs }));

  root
    .command('verify')
    .description(
      'check that accumulated micro-batches give the same update as one full batch (on MNIST), or that a saved model is safe to accumulate (--model path/to/model.json)',
    )
    .addOption(
      new Option('--model <name>', `model: ${MODELS.join(' | ')} (trained on MNIST), or a saved tfjs Layers model's path/to/model.json`).default('mlp'),
    )
    .addOption(new Option('--micro-batch <n>', 'examples per micro-batch (mlp and cnn)').default(32))
    .addOption(new Option('--accumulate <n>', 'micro-batches accumulated per update (mlp and cnn)').default(8))
    .addOption(new Option('--data <file>', 'a model file only: JSON examples { "xs": [...], "ys": [...] } instead of random inputs'))
    .addOption(new Option('--examples <n>', 'a model file only: random examples of its input shape').default(16))
    .addOption(new Option('--backend <name>', `TensorFlow.js backend: ${BACKENDS.join(' | ')}`).default('wasm'))
    .addOption(new Option('--seed <n>', 'seed of the data and the initial weights').default(42))
    .addOption(
      new Option('--tolerance <x>', 'largest accepted relative difference between accumulated and full-batch results').default(
        'auto',
        '1e-5 for mlp and cnn, 1e-3 for a model file',
      ),
    )
    .action((options: Record<string, unknown>) => chosen('verify', options));

  return root;
};

/**
 * Parses the arguments of the `gradstream` command into a checked configuration, without printing
 * or exiting: a pure function of `argv` (and of `now`, which names the default run folder), so that it
 * is tested without spawning a process.
 *
 * Commander knows the commands and options, their defaults and the help text; every value is then
 * checked by pure validators, so that a bad one is reported in a single line naming the option and the
 * value, e.g. `gradstream train: --accumulate must be an integer >= 1, got 0`.
 *
 * ## Example
 * ```ts
 * parseCommandLine(['train', '--model', 'cnn', '--accumulate', '4']);
 * // Right({ command: 'train', model: 'cnn', accumulate: 4, microBatch: 32, ... })
 * parseCommandLine(['train', '--lr', 'abc']);
 * // Left(CliError: gradstream train: --lr must be a finite number > 0, got "abc")
 * parseCommandLine(['train', '--help']);
 * // Left({ kind: 'help', text: 'Usage: gradstream train [options] ...' })
 * ```
 *
 * @param argv the arguments after the executable and script, e.g. `process.argv.slice(2)`
 * @param options the time that names the default run folder
 * @returns the command and its configuration; or help to print (exit 0); or a {@link CliError} (exit 2)
 */
export function parseCommandLine(
  argv: ReadonlyArray<string>,
  options: ParseOptions = {},
): E.Either<CliHelp | CliError, CliCommand> {
  let out = '';
  let chosen: { name: 'train' | 'verify' | 'dashboard'; raw: Record<string, unknown> } | undefined;
  const root = program(options.now ?? new Date(), (name, raw) => (chosen = { name, raw }));
  const capture = { writeOut: (s: string) => (out += s), writeErr: (s: string) => (out += s), outputError: () => undefined };
  root.configureOutput(capture);
  root.commands.forEach((command) => command.configureOutput(capture).exitOverride());

  try {
    root.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed') return E.left({ kind: 'help', text: out });
    if (error.code === 'commander.help') {
      return E.left(new CliError('gradstream: missing command: train, verify or dashboard (see gradstream --help)', undefined, [...argv]));
    }
    const message = error.message.replace(/^error: /, '');
    const option = /'(--?[\w-]+)/.exec(message)?.[1];
    const command = argv.find((a) => a === 'train' || a === 'verify' || a === 'dashboard');
    return E.left(new CliError(`gradstream${command ? ` ${command}` : ''}: ${message}`, option, [...argv]));
  }
  if (chosen === undefined) {
    return E.left(new CliError('gradstream: missing command: train, verify or dashboard (see gradstream --help)', undefined, [...argv]));
  }
  const { name, raw } = chosen;
  const checked: E.Either<ConfigError, CliCommand> =
    name === 'train' ? trainConfig(raw) : name === 'verify' ? verifyConfig(raw) : dashboardConfig(raw);
  return pipe(
    checked,
    E.mapLeft((error) => new CliError(error.message, error.field, error.input)),
  );
}
