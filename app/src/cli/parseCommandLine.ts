import { Command, CommanderError } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ConfigError } from 'gradstream';
import { CliError } from './CliError.js';
import { checkDashboard, defineDashboard } from './internal/dashboardCommand.js';
import type { Raw } from './internal/optionValues.js';
import { checkTrain, defineTrain } from './internal/trainCommand.js';
import { checkVerify, defineVerify } from './internal/verifyCommand.js';
import type { CliCommand, CliHelp } from './types.js';

/** Options of {@link parseCommandLine}. */
export interface ParseOptions {
  /** The time that names the default run folder, `runs/<timestamp>`. Default: now. */
  readonly now?: Date;
}

type CommandName = 'train' | 'verify' | 'dashboard';

/** The `gradstream` program: commands, options, defaults and help; actions record what was chosen. */
const program = (now: Date, chosen: (name: CommandName, raw: Raw) => void): Command => {
  const root = new Command('gradstream')
    .description('Gradient accumulation as a declarative RxJS stream over TensorFlow.js: train and check a digit classifier.')
    .exitOverride()
    .showSuggestionAfterError(true);

  defineTrain(root, now, (raw) => chosen('train', raw));
  defineDashboard(root, (raw) => chosen('dashboard', raw));
  defineVerify(root, (raw) => chosen('verify', raw));
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
  let chosen: { name: CommandName; raw: Raw } | undefined;
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
    name === 'train' ? checkTrain(raw) : name === 'verify' ? checkVerify(raw) : checkDashboard(raw);
  return pipe(
    checked,
    E.mapLeft((error) => new CliError(error.message, error.field, error.input)),
  );
}
