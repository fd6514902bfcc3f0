import * as tf from '@tensorflow/tfjs';
import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';
import { adam } from '../optim/adam.js';
import { batchFromValues } from './batchFromValues.js';
import { lawSetup, type LawOptions } from './internal/lawOptions.js';
import { describeError, expectThat, runLaw } from './internal/runLaw.js';
import { disposeLast, runPipeline, SourceFailure, type Run } from './internal/runPipeline.js';
import { splitArbitrary } from './splitArbitrary.js';
import type { Pipeline } from './types.js';

/** Options of {@link assertNoLeaksLaw}. */
export interface NoLeaksLawOptions extends LawOptions {
  /** Most micro-batches in a run, default 8. */
  readonly maxMicroBatches?: number;
}

const FN = 'assertNoLeaksLaw';

/**
 * The law that keeps memory flat, checked on your pipeline: however a run ends (the source completes,
 * the subscriber unsubscribes after the first update, or the source fails part-way), once the caller has
 * freed the last step's `params` and `state.optimizerState`, as many tensors are alive as before the
 * run. fast-check draws the micro-batches, `accumulationSteps` and the way the run ends; the pipeline
 * trains with Adam, whose state holds tensors. A failing source must also fail the run (a pipeline that
 * swallows the error hides it from the caller).
 *
 * Usable in any test runner: it resolves when the law holds and rejects with a
 * {@link LawViolationError} carrying the shrunk counterexample when it does not.
 *
 * ## Example
 * ```ts
 * it('my pipeline leaks no tensor, however it ends', async () => {
 *   await assertNoLeaksLaw((options) => (batches) => batches.pipe(augment(), train(options)));
 * });
 * ```
 *
 * @param pipeline the pipeline under test
 * @param options the model and loss (default a random MLP and mean squared error), the most
 *   micro-batches, and fast-check's `numRuns` and `seed`
 * @returns a promise that resolves when the law held for every run
 * @throws {ConfigError} when an option is invalid
 * @throws {LawViolationError} when fast-check found a run that leaves tensors behind
 */
export async function assertNoLeaksLaw(pipeline: Pipeline, options: NoLeaksLawOptions = {}): Promise<void> {
  const setup = lawSetup(FN, options);
  const { maxMicroBatches = 8 } = options;
  if (typeof pipeline !== 'function') throw new ConfigError(FN, 'pipeline', pipeline, 'a function from train options to an operator');
  if (!Number.isInteger(maxMicroBatches) || maxMicroBatches < 1) throw new ConfigError(FN, 'maxMicroBatches', maxMicroBatches, 'an integer >= 1');

  const scenario = setup.drawn(1, 2 * maxMicroBatches).chain((drawn) =>
    fc.record({
      sizes: splitArbitrary(drawn.batch.examples, { maxParts: Math.min(drawn.batch.examples, maxMicroBatches) }),
      k: fc.integer({ min: 1, max: 3 }),
      end: fc.constantFrom('complete' as const, 'unsubscribe' as const, 'error' as const),
    }).chain((r) => fc.integer({ min: 0, max: r.sizes.length }).map((failAfter) => ({ ...drawn, ...r, failAfter }))),
  );
  const property = fc.asyncProperty(scenario, async (drawn) => {
    const { batch, sizes, k, end, failAfter } = drawn;
    const { model, made } = setup.modelFor(drawn);
    let run: Run | undefined;
    try {
      let start = 0;
      const makers = sizes.map((size) => {
        const [from, to] = [start, (start += size)];
        return () => batchFromValues(batch, from, to);
      });
      const before = tf.memory().numTensors;
      run = await runPipeline(
        pipeline,
        { model, loss: setup.loss, optimizer: adam({ learningRate: 0.01 }), accumulationSteps: k },
        makers,
        end === 'complete' ? {} : end === 'unsubscribe' ? { take: 1 } : { failAfter },
      );
      const { error, steps } = run;
      if (end === 'error')
        expectThat(error instanceof SourceFailure, () => `the source failed after ${failAfter} micro-batches but the run ended with ${error === undefined ? 'completion' : describeError(error)}`);
      else expectThat(error === undefined, () => `the pipeline failed: ${describeError(error)}`);
      disposeLast(run, model.params);
      run = undefined;
      const left = tf.memory().numTensors - before;
      expectThat(
        left === 0,
        () => `${left} tensor(s) left alive after a run that ${end === 'complete' ? 'completed' : end === 'unsubscribe' ? 'was unsubscribed after its first update' : `failed after ${failAfter} micro-batches`} (${steps.length} update(s) emitted, the last one's params and optimizer state freed)`,
      );
    } finally {
      if (run) disposeLast(run, model.params);
      if (made) for (const t of Object.values(model.params)) t.dispose();
    }
  });
  await runLaw('no-leaks', 'a run must leave no tensor alive but the last step it hands to the caller, however it ends', property, setup);
}
