import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';
import { sgd } from '../optim/sgd.js';
import { batchFromValues } from './batchFromValues.js';
import { lawSetup, type LawOptions } from './internal/lawOptions.js';
import { describeError, expectThat, runLaw } from './internal/runLaw.js';
import { disposeLast, relativeDifference, runPipeline, type Run } from './internal/runPipeline.js';
import { splitArbitrary } from './splitArbitrary.js';
import type { Pipeline } from './types.js';

/** Options of {@link assertAccumulationLaw}. */
export interface AccumulationLawOptions extends LawOptions {
  /** Largest max |accumulated update − full-batch update| / max |full-batch update|, default 1e-4. */
  readonly tolerance?: number;
  /** Most examples in a drawn batch, default 12 (at least 2: a split needs two parts). */
  readonly maxExamples?: number;
}

const FN = 'assertAccumulationLaw';

/**
 * The law that makes accumulation worth having, checked on your pipeline: from the same parameters, one
 * update accumulated from any split of a batch into micro-batches equals one update from the whole batch
 * (and reports the same loss). fast-check draws batches, splits (mostly uneven, where a mean of
 * micro-batch means goes wrong) and, unless you pass a model, small MLPs; each run trains with
 * `sgd({ learningRate: 1 })`, so an update is exactly minus the gradient it used.
 *
 * Usable in any test runner: it resolves when the law holds and rejects with a
 * {@link LawViolationError} carrying the shrunk counterexample when it does not.
 *
 * ## Example
 * ```ts
 * it('my pipeline accumulates exactly', async () => {
 *   await assertAccumulationLaw((options) => (batches) => batches.pipe(normalise(), train(options)));
 * });
 * ```
 *
 * @param pipeline the pipeline under test (`train` itself, or a function that wraps it)
 * @param options the model and loss to train (default a random MLP and mean squared error), the
 *   tolerance, and fast-check's `numRuns` and `seed`
 * @returns a promise that resolves when the law held for every run
 * @throws {ConfigError} synchronously (as a rejection) when an option is invalid
 * @throws {LawViolationError} when fast-check found a split for which the law fails
 */
export async function assertAccumulationLaw(pipeline: Pipeline, options: AccumulationLawOptions = {}): Promise<void> {
  const setup = lawSetup(FN, options);
  const { tolerance = 1e-4, maxExamples = 12 } = options;
  if (typeof pipeline !== 'function') throw new ConfigError(FN, 'pipeline', pipeline, 'a function from train options to an operator');
  if (!(Number.isFinite(tolerance) && tolerance >= 0)) throw new ConfigError(FN, 'tolerance', tolerance, 'a finite number >= 0');
  if (!Number.isInteger(maxExamples) || maxExamples < 2) throw new ConfigError(FN, 'maxExamples', maxExamples, 'an integer >= 2');

  const scenario = setup
    .drawn(2, maxExamples)
    .chain((drawn) => splitArbitrary(drawn.batch.examples, { minParts: 2 }).map((sizes) => ({ ...drawn, sizes })));
  const property = fc.asyncProperty(scenario, async (drawn) => {
    const { batch, sizes } = drawn;
    const { model, made } = setup.modelFor(drawn);
    const runs: Run[] = [];
    try {
      const run = async (accumulationSteps: number, makers: ReadonlyArray<() => ReturnType<typeof batchFromValues>>) => {
        const r = await runPipeline(pipeline, { model, loss: setup.loss, optimizer: sgd({ learningRate: 1 }), accumulationSteps }, makers);
        runs.push(r);
        expectThat(r.error === undefined, () => `the pipeline failed: ${describeError(r.error)}`);
        expectThat(r.steps.length === 1, () => `${makers.length} micro-batch(es) with accumulationSteps ${accumulationSteps} made ${r.steps.length} updates, not 1`);
        return r.steps[0]!;
      };
      const whole = await run(1, [() => batchFromValues(batch)]);
      let start = 0;
      const parts = sizes.map((size) => {
        const [from, to] = [start, (start += size)];
        return () => batchFromValues(batch, from, to);
      });
      const split = await run(sizes.length, parts);
      expectThat(split.examples === batch.examples, () => `the accumulated update counted ${split.examples} examples, not ${batch.examples}`);
      const difference = relativeDifference(split.update, whole.update);
      expectThat(
        difference <= tolerance,
        () => `micro-batches of ${sizes.join(', ')} examples made an update that differs from the full batch's by ${difference.toExponential(2)} > tolerance ${tolerance}`,
      );
      const lossGap = Math.abs(split.loss - whole.loss);
      expectThat(
        lossGap <= tolerance * Math.max(1, Math.abs(whole.loss)),
        () => `micro-batches of ${sizes.join(', ')} examples report loss ${split.loss}, the full batch ${whole.loss}`,
      );
    } finally {
      for (const r of runs) disposeLast(r, model.params);
      if (made) for (const t of Object.values(model.params)) t.dispose();
    }
  });
  await runLaw(
    'accumulation',
    'one update accumulated from any split of a batch must equal one update from the whole batch',
    property,
    setup,
  );
}
