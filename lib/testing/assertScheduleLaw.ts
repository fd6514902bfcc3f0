import * as fc from 'fast-check';
import { ConfigError } from '../errors/ConfigError.js';
import { sgd } from '../optim/sgd.js';
import { batchFromValues } from './batchFromValues.js';
import { lawSetup, type LawOptions } from './internal/lawOptions.js';
import { describeError, expectThat, runLaw } from './internal/runLaw.js';
import { disposeLast, runPipeline, type Run } from './internal/runPipeline.js';
import type { Pipeline } from './types.js';

/** Options of {@link assertScheduleLaw}. */
export interface ScheduleLawOptions extends LawOptions {
  /** Most micro-batches per update, default 4. */
  readonly maxAccumulationSteps?: number;
  /** Most updates per run, default 4. */
  readonly maxUpdates?: number;
}

const FN = 'assertScheduleLaw';

/** The schedule the law trains with: a distinct rate for every update, so a shifted one shows. */
const rateAt = (step: number): number => 0.1 / (1 + step);

/**
 * The law that keeps a schedule on time, checked on your pipeline: the update count and the learning-rate
 * schedule advance once per update, never per micro-batch. fast-check draws `accumulationSteps` k and a
 * number of updates u, feeds the pipeline u·k single-example micro-batches with
 * `sgd({ learningRate: schedule })`, and checks that it emits u steps numbered 1…u of k micro-batches
 * each, that the state counts the same, that each step reports the schedule's rate for its own update,
 * and that the schedule was only ever asked about updates 0…u−1 (a pipeline that steps the optimizer per
 * micro-batch asks about u·k of them).
 *
 * Usable in any test runner: it resolves when the law holds and rejects with a
 * {@link LawViolationError} carrying the shrunk counterexample when it does not.
 *
 * ## Example
 * ```ts
 * it('my pipeline advances the schedule once per update', async () => {
 *   await assertScheduleLaw(train);
 * });
 * ```
 *
 * @param pipeline the pipeline under test
 * @param options the model and loss (default a random MLP and mean squared error), the largest k and u,
 *   and fast-check's `numRuns` and `seed`
 * @returns a promise that resolves when the law held for every run
 * @throws {ConfigError} when an option is invalid
 * @throws {LawViolationError} when fast-check found a run for which the law fails
 */
export async function assertScheduleLaw(pipeline: Pipeline, options: ScheduleLawOptions = {}): Promise<void> {
  const setup = lawSetup(FN, options);
  const { maxAccumulationSteps = 4, maxUpdates = 4 } = options;
  if (typeof pipeline !== 'function') throw new ConfigError(FN, 'pipeline', pipeline, 'a function from train options to an operator');
  if (!Number.isInteger(maxAccumulationSteps) || maxAccumulationSteps < 1)
    throw new ConfigError(FN, 'maxAccumulationSteps', maxAccumulationSteps, 'an integer >= 1');
  if (!Number.isInteger(maxUpdates) || maxUpdates < 1) throw new ConfigError(FN, 'maxUpdates', maxUpdates, 'an integer >= 1');

  const scenario = fc
    .record({ k: fc.integer({ min: 1, max: maxAccumulationSteps }), u: fc.integer({ min: 1, max: maxUpdates }) })
    .chain(({ k, u }) => setup.drawn(k * u, k * u).map((drawn) => ({ ...drawn, k, u })));
  const property = fc.asyncProperty(scenario, async (drawn) => {
    const { batch, k, u } = drawn;
    const { model, made } = setup.modelFor(drawn);
    const asked = new Set<number>();
    const schedule = (step: number): number => {
      asked.add(step);
      return rateAt(step);
    };
    let run: Run | undefined;
    try {
      const makers = Array.from({ length: u * k }, (_, i) => () => batchFromValues(batch, i, i + 1));
      run = await runPipeline(pipeline, { model, loss: setup.loss, optimizer: sgd({ learningRate: schedule }), accumulationSteps: k }, makers);
      const { steps, error } = run;
      expectThat(error === undefined, () => `the pipeline failed: ${describeError(error)}`);
      expectThat(steps.length === u, () => `${u * k} micro-batches with accumulationSteps ${k} made ${steps.length} updates, not ${u}`);
      steps.forEach((s, i) => {
        expectThat(s.step === i + 1, () => `update ${i + 1} is numbered step ${s.step}`);
        expectThat(s.stateStep === undefined || s.stateStep === i + 1, () => `after update ${i + 1} the state counts ${s.stateStep} updates`);
        expectThat(s.microBatches === k, () => `update ${i + 1} took ${s.microBatches} micro-batches, not ${k}`);
        expectThat(
          s.learningRate === undefined || s.learningRate === rateAt(i),
          () => `update ${i + 1} reports learning rate ${s.learningRate}, the schedule's rate for update ${i + 1} (step ${i}) is ${rateAt(i)}`,
        );
      });
      const wrong = [...asked].filter((step) => !(Number.isInteger(step) && step >= 0 && step < u)).sort((a, b) => a - b);
      expectThat(
        wrong.length === 0,
        () => `after ${u} updates of ${k} micro-batches the schedule was asked about steps ${[...asked].sort((a, b) => a - b).join(', ')}: ${wrong.join(', ')} are not updates (it advanced per micro-batch?)`,
      );
      expectThat(asked.has(u - 1), () => `the schedule was never asked about the last update (step ${u - 1}); asked: ${[...asked].join(', ')}`);
    } finally {
      if (run) disposeLast(run, model.params);
      if (made) for (const t of Object.values(model.params)) t.dispose();
    }
  });
  await runLaw('schedule', 'the update count and the learning-rate schedule must advance once per update, never per micro-batch', property, setup);
}
