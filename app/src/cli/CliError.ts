import { GradstreamError } from 'gradstream';

/**
 * The command line is invalid: an unknown command or option, a missing or bad value. The `gradstream`
 * command prints the one-line message and exits with {@link CliError.exitCode} (2, as most Unix tools
 * do for usage errors).
 *
 * ## Example
 * ```ts
 * const parsed = parseCommandLine(['train', '--accumulate', '0']);
 * // Left(CliError: gradstream train: --accumulate must be an integer >= 1, got 0)
 * ```
 */
export class CliError extends GradstreamError {
  /** The option at fault, e.g. `--accumulate`, when there is one. */
  readonly option: string | undefined;
  /** The process exit code for this error. */
  readonly exitCode = 2;

  /**
   * @param message the one-line message, e.g. `gradstream train: --lr must be a finite number > 0, got "abc"`
   * @param option the option at fault
   * @param input the offending value
   */
  constructor(message: string, option: string | undefined, input: unknown) {
    super(message, input);
    this.option = option;
  }
}
