import * as tf from '@tensorflow/tfjs';
import { fromLayersModel, losses, trainTestSplit } from 'gradstream';
import { checkAccumulationSafety, unevenSizes } from 'gradstream/testing';
import { loadMnist } from '../data/loadMnist.js';
import { mnistCnn } from '../models/mnistCnn.js';
import { mnistMlp } from '../models/mnistMlp.js';
import { selectBackend } from './selectBackend.js';
import type { VerifyConfig } from './types.js';
import { verifyAccumulation, type VerifyReport } from './verifyAccumulation.js';

/** The edges {@link runVerify} touches, replaceable in tests. */
export interface VerifyIo {
  /** Where the report goes. Default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream;
  /** Where errors go. Default `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
  /** Selects the backend. Default {@link selectBackend}. */
  readonly selectBackend?: (name: VerifyConfig['backend']) => Promise<void>;
  /** Receives the report, for tests. */
  readonly report?: (report: VerifyReport) => void;
}

/**
 * `gradstream verify`: on real MNIST digits, from one starting model, makes one update from micro-batches
 * of uneven sizes and one from the whole batch, prints the largest relative difference per parameter
 * (next to what a plain average of micro-batch means would give), and succeeds only when every
 * difference is within the tolerance. The same split then goes through `checkAccumulationSafety`
 * (gradstream/testing), which checks the model itself: the run fails if either check does.
 *
 * ## Example
 * ```ts
 * const code = await runVerify({ command: 'verify', model: 'mlp', microBatch: 32, accumulate: 8, backend: 'cpu', seed: 42, tolerance: 1e-5 });
 * // 0: accumulation is exact
 * ```
 *
 * @param config the checked configuration from {@link parseCommandLine}
 * @param io the process's edges
 * @returns the exit code: 0 when within the tolerance, 1 when not or when the check failed to run
 */
export async function runVerify(config: VerifyConfig, io: VerifyIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    await (io.selectBackend ?? selectBackend)(config.backend);
    const total = config.microBatch * config.accumulate;
    const { train: examples } = trainTestSplit(loadMnist(), { trainSize: total, testSize: 1, seed: config.seed });
    const inputShape = config.model === 'cnn' ? [28, 28, 1] : [784];
    const layersModel = config.model === 'cnn' ? mnistCnn({ seed: config.seed }) : mnistMlp({ seed: config.seed });
    const batch = {
      xs: tf.tensor(examples.images, [examples.count, ...inputShape]),
      ys: tf.tensor2d(examples.labels, [examples.count, examples.classes]),
    };
    try {
      const sizes = unevenSizes(total, config.accumulate, config.seed);
      const model = fromLayersModel(layersModel);
      const report = await verifyAccumulation(model, losses.softmaxCrossEntropy, batch, sizes);
      io.report?.(report);
      const passed = report.worst <= config.tolerance;
      // The pipeline is exact; is the model? The same split through gradstream/testing's safety check
      // (its own tolerance: it compares gradients, not updates, and reports coupled layers by name).
      const safety = checkAccumulationSafety(model, losses.softmaxCrossEntropy, batch, { splits: [sizes] });
      stdout.write(format(report, config, passed));
      stdout.write(
        `model check (gradstream/testing checkAccumulationSafety): largest gradient difference ${sci(safety.worst)}, ` +
          `${safety.safe ? 'safe to accumulate' : `NOT safe to accumulate: ${safety.causes.join('; ')}`}\n`,
      );
      return passed && safety.safe ? 0 : 1;
    } finally {
      tf.dispose([batch.xs, batch.ys]);
      layersModel.dispose();
    }
  } catch (error) {
    stderr.write(`gradstream verify: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const sci = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

function format(report: VerifyReport, config: VerifyConfig, passed: boolean): string {
  const total = report.sizes.reduce((a, b) => a + b, 0);
  const width = Math.max(9, ...report.rows.map((r) => r.param.length));
  const lines = [
    `gradstream verify: ${config.model} on ${config.backend}, ${total} MNIST digits, one sgd(lr 1) update`,
    `micro-batches of ${report.sizes.join(', ')} examples (uneven on purpose) against one batch of ${total}`,
    '',
    `${'parameter'.padEnd(width)}  ${'shape'.padEnd(14)}  ${'gradstream'.padStart(10)}  ${'mean of means'.padStart(13)}`,
    ...report.rows.map(
      (r) => `${r.param.padEnd(width)}  ${`[${r.shape.join(', ')}]`.padEnd(14)}  ${sci(r.accumulated).padStart(10)}  ${sci(r.meanOfMeans).padStart(13)}`,
    ),
    '',
    'each figure: max |accumulated update − full-batch update| / max |full-batch update|',
    `largest difference ${sci(report.worst)} ${passed ? '<=' : '>'} tolerance ${sci(config.tolerance)}: ${passed ? 'PASS' : 'FAIL'}` +
      ` (a plain mean of micro-batch means would be off by ${sci(report.worstMeanOfMeans)})`,
  ];
  return `${lines.join('\n')}\n`;
}
