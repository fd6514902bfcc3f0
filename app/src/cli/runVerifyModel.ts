import * as tf from '@tensorflow/tfjs';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CheckpointError, fromLayersModel, losses, type Batch } from 'gradstream';
import { fileModelHandler } from 'gradstream/node';
import { checkAccumulationSafety, type SafetyReport } from 'gradstream/testing';
import { CliError } from './CliError.js';
import { selectBackend } from './selectBackend.js';
import type { VerifyModelConfig } from './types.js';

/** The largest --data file read. */
export const MAX_DATA_BYTES = 64 * 1024 * 1024;

/** The edges {@link runVerifyModel} touches, replaceable in tests. */
export interface VerifyModelIo {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  readonly selectBackend?: (name: VerifyModelConfig['backend']) => Promise<void>;
  /** Receives the report, for tests. */
  readonly report?: (report: SafetyReport) => void;
}

const FN = 'gradstream verify';

/**
 * `gradstream verify --model path/to/model.json`: loads a saved tfjs Layers model from disk, and runs
 * `checkAccumulationSafety` (gradstream/testing) on it with a per-example loss (mean squared error), over
 * random inputs of the model's input shape or the examples of `--data`: is the model's full-batch gradient
 * the sum of its micro-batches' gradients? Prints the report.
 *
 * ## Example
 * ```ts
 * const code = await runVerifyModel({ command: 'verify-model', modelPath: 'saved/model.json', data: undefined, examples: 16, backend: 'cpu', seed: 42, tolerance: 1e-3 });
 * // 0: safe; 1: not safe (the report names the layers); 2: the model or data file cannot be used
 * ```
 *
 * @param config the checked configuration from {@link parseCommandLine}
 * @param io the process's edges
 * @returns 0 when safe, 1 when not (or the check failed to run), 2 when the model or data file is missing or malformed
 */
export async function runVerifyModel(config: VerifyModelConfig, io: VerifyModelIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let layers: tf.LayersModel | undefined;
  let batch: Batch | undefined;
  try {
    await (io.selectBackend ?? selectBackend)(config.backend);
    layers = await loadLayers(config.modelPath);
    const model = fromLayersModel(layers, { batchStatistics: 'per-micro-batch' });
    const { inputShape, outputShape } = shapesOf(layers, config.modelPath);
    batch = config.data === undefined ? randomBatch(config, inputShape, outputShape) : readExamples(config.data, inputShape, outputShape, config.seed);
    const report = checkAccumulationSafety(model, losses.meanSquaredError, batch, { tolerance: config.tolerance, seed: config.seed });
    io.report?.(report);
    stdout.write(format(report, config, inputShape));
    return report.safe ? 0 : 1;
  } catch (error) {
    stderr.write(`${error instanceof CliError ? error.message : `${FN}: ${error instanceof Error ? error.message : String(error)}`}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  } finally {
    if (batch) tf.dispose([batch.xs, batch.ys]);
    layers?.dispose();
  }
}

async function loadLayers(modelPath: string): Promise<tf.LayersModel> {
  // The command's own argument first, named as typed: the library's handler names the files it reads.
  const info = await stat(modelPath).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error)
    throw new CliError(`${FN}: cannot read the model file ${modelPath}: ${info.code === 'ENOENT' ? 'no such file' : info.message}`, '--model', modelPath);
  if (!info.isFile()) throw new CliError(`${FN}: the model file ${modelPath} is not a file`, '--model', modelPath);
  try {
    // gradstream/node's handler checks the weights' paths (plain names beside model.json) and sizes before reading them.
    return await tf.loadLayersModel(fileModelHandler(modelPath));
  } catch (error) {
    if (error instanceof CheckpointError) throw new CliError(`${FN}: cannot load the model file ${modelPath}: ${error.problem}`, '--model', modelPath);
    // tfjs's messages can run over several lines: the first says what is wrong.
    const first = String((error as Error).message ?? error).split('\n')[0]?.trim();
    throw new CliError(`${FN}: cannot build a Layers model from ${modelPath}: ${first}`, '--model', modelPath);
  }
}

function shapesOf(layers: tf.LayersModel, modelPath: string): { inputShape: number[]; outputShape: number[] } {
  if (layers.inputs.length !== 1 || layers.outputs.length !== 1)
    throw new CliError(`${FN}: ${modelPath} has ${layers.inputs.length} inputs and ${layers.outputs.length} outputs; verify checks models with one of each`, '--model', modelPath);
  const known = (shape: ReadonlyArray<number | null>, what: string): number[] => {
    const rest = shape.slice(1);
    if (rest.some((d) => d === null))
      throw new CliError(`${FN}: the ${what} shape of ${modelPath} is [${shape.map((d) => d ?? 'null').join(', ')}]: give --data for a model whose shape is not fixed`, '--model', modelPath);
    return rest as number[];
  };
  return { inputShape: known(layers.inputs[0]!.shape, 'input'), outputShape: known(layers.outputs[0]!.shape, 'output') };
}

function randomBatch(config: VerifyModelConfig, inputShape: ReadonlyArray<number>, outputShape: ReadonlyArray<number>): Batch {
  return tf.tidy(() => ({
    xs: tf.randomUniform([config.examples, ...inputShape], -1, 1, 'float32', config.seed),
    ys: tf.randomUniform([config.examples, ...outputShape], -1, 1, 'float32', config.seed + 1),
  }));
}

/** Examples from a JSON file `{ "xs": [...], "ys"?: [...] }`, size checked before it is read. */
function readExamples(path: string, inputShape: ReadonlyArray<number>, outputShape: ReadonlyArray<number>, seed: number): Batch {
  const bad = (message: string, input: unknown = path): CliError => new CliError(`${FN}: ${message}`, '--data', input);
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw bad(`the data file ${path} is not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw bad(`cannot read the data file ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (size > MAX_DATA_BYTES) throw bad(`the data file ${path} has ${size} bytes, more than the ${MAX_DATA_BYTES} accepted`, size);
  const bytes = new Uint8Array(size);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, bytes, 0, size, 0);
  } finally {
    closeSync(fd);
  }
  let json: { xs?: unknown; ys?: unknown };
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as { xs?: unknown; ys?: unknown };
  } catch (error) {
    throw bad(`the data file ${path} is not valid JSON (${(error as Error).message})`);
  }
  const tensorOf = (value: unknown, shape: ReadonlyArray<number>, what: string): tf.Tensor => {
    let t: tf.Tensor;
    try {
      t = tf.tensor(value as number[]);
    } catch (error) {
      throw bad(`${what} of ${path} is not a nested array of numbers (${(error as Error).message})`);
    }
    const [n, ...rest] = t.shape;
    if (n === undefined || n < 2 || rest.length !== shape.length || rest.some((d, i) => d !== shape[i])) {
      t.dispose();
      throw bad(`${what} of ${path} has shape [${t.shape.join(', ')}]; the model needs [n >= 2, ${shape.join(', ')}]`, t.shape);
    }
    return t;
  };
  if (typeof json !== 'object' || json === null || !Array.isArray(json.xs)) throw bad(`the data file ${path} needs an "xs" array`);
  const xs = tensorOf(json.xs, inputShape, 'xs');
  if (json.ys === undefined) return { xs, ys: tf.randomUniform([xs.shape[0]!, ...outputShape], -1, 1, 'float32', seed + 1) };
  try {
    const ys = tensorOf(json.ys, outputShape, 'ys');
    if (ys.shape[0] !== xs.shape[0]) {
      ys.dispose();
      throw bad(`xs of ${path} has ${xs.shape[0]} examples but ys has ${ys.shape[0]}`);
    }
    return { xs, ys };
  } catch (error) {
    xs.dispose();
    throw error;
  }
}

const sci = (x: number): string => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));

function format(report: SafetyReport, config: VerifyModelConfig, inputShape: ReadonlyArray<number>): string {
  const width = Math.max(9, ...report.params.map((p) => p.name.length));
  const source = config.data === undefined ? `${report.examples} random examples` : `${report.examples} examples from ${basename(config.data)}`;
  const lines = [
    `gradstream verify: ${config.modelPath} on ${config.backend}, ${source} of shape [${inputShape.join(', ')}], a per-example loss (mean squared error)`,
    `full-batch mean gradient against micro-batches of: ${report.splits.map((s) => `${s.kind} [${s.sizes.length > 8 ? `${s.sizes.length} × ${s.sizes[0]}` : s.sizes.join(', ')}]`).join('; ')}`,
    '',
    `${'parameter'.padEnd(width)}  ${'shape'.padEnd(14)}  ${'difference'.padStart(10)}`,
    ...report.params.map((p) => `${p.name.padEnd(width)}  ${`[${p.shape.join(', ')}]`.padEnd(14)}  ${sci(p.difference).padStart(10)}`),
    '',
    'each figure: max |accumulated gradient − full-batch gradient| / max |full-batch gradient|, worst split',
    `largest difference ${sci(report.worst)} ${report.worst <= report.tolerance ? '<=' : '>'} tolerance ${sci(report.tolerance)}: ` +
      (report.safe ? 'SAFE to accumulate' : 'NOT SAFE to accumulate'),
    ...(report.safe ? [] : [`diverging parameters: ${report.diverging.join(', ') || 'none'}`, 'likely causes:', ...report.causes.map((c) => `  - ${c}`)]),
  ];
  return `${lines.join('\n')}\n`;
}
