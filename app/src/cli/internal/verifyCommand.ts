// `gradstream verify`: the MNIST check, or the safety check of a saved model, and its options.
import { Command, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ConfigError } from 'gradstream';
import type { VerifyConfig, VerifyModelConfig } from '../types.js';
import { BACKENDS, MODELS, integerOption, positiveOption, wordOption, type Raw } from './optionValues.js';

/** `--model` names a saved model rather than a built-in one when it is a path to a .json file. */
const isModelFile = (value: unknown): value is string => typeof value === 'string' && /\.json$/i.test(value);

/** Pure validation of `verify`'s raw option values: the MNIST check, or the safety check of a model file. */
export const checkVerify = (raw: Raw): E.Either<ConfigError, VerifyConfig | VerifyModelConfig> => {
  const fn = 'gradstream verify';
  const tolerance = (auto: number) => (raw['tolerance'] === 'auto' ? E.right(auto) : positiveOption(fn, '--tolerance')(raw['tolerance']));
  if (isModelFile(raw['model']))
    return pipe(
      E.Do,
      E.bind('examples', () => integerOption(fn, '--examples', 2)(raw['examples'])),
      E.bind('backend', () => wordOption(fn, '--backend', BACKENDS)(raw['backend'])),
      E.bind('seed', () => integerOption(fn, '--seed', 0)(raw['seed'])),
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
    E.bind('model', () => wordOption(fn, '--model', MODELS)(raw['model'])),
    E.bind('microBatch', () => integerOption(fn, '--micro-batch', 1)(raw['microBatch'])),
    E.bind('accumulate', () => integerOption(fn, '--accumulate', 1)(raw['accumulate'])),
    E.bind('backend', () => wordOption(fn, '--backend', BACKENDS)(raw['backend'])),
    E.bind('seed', () => integerOption(fn, '--seed', 0)(raw['seed'])),
    E.bind('tolerance', () => tolerance(1e-5)),
    E.map((checked) => ({ command: 'verify' as const, ...checked })),
  );
};

/** Adds `verify` to the program; `chosen` records its raw values when it is the command given. */
export function defineVerify(root: Command, chosen: (raw: Raw) => void): void {
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
    .action((options: Record<string, unknown>) => chosen(options));

}
