import { concat, from, map, Observable, take, throwError } from 'rxjs';
import type { Batch } from '../../batch/types.js';
import { disposeTree, tensorsIn } from '../../internal/tensorMaps.js';
import type { Params } from '../../params/types.js';
import type { TrainStep } from '../../train/types.js';
import type { TrainOptions } from '../../train/validateTrainOptions.js';
import type { Pipeline } from '../types.js';

/** What a law keeps of each step, read as it is emitted (its tensors may be gone by the next one). */
export interface StepRecord {
  readonly step: number;
  readonly stateStep: number | undefined;
  readonly microBatches: number;
  readonly examples: number;
  readonly loss: number;
  readonly learningRate: number | undefined;
  /** params − the model's params, by name. */
  readonly update: Readonly<Record<string, Float32Array>>;
}

export interface Run {
  readonly steps: ReadonlyArray<StepRecord>;
  readonly last: TrainStep<unknown> | undefined;
  readonly error: unknown;
}

export interface RunShape {
  /** Stop after this many steps (unsubscribe). */
  readonly take?: number;
  /** Fail the source after this many batches. */
  readonly failAfter?: number;
}

/** The error a law's failing source sends, told apart from the pipeline's own errors. */
export class SourceFailure extends Error {}

/**
 * Runs `pipeline` over batches made one at a time as the pipeline asks for them, and records every step.
 * Never throws for the pipeline's errors: they come back as `error`.
 */
export function runPipeline(pipeline: Pipeline, options: TrainOptions<unknown>, makers: ReadonlyArray<() => Batch>, shape: RunShape = {}): Promise<Run> {
  const start = Object.fromEntries(Object.entries(options.model.params).map(([name, t]) => [name, t.dataSync() as Float32Array]));
  const made = (list: ReadonlyArray<() => Batch>) => from(list).pipe(map((make) => make()));
  const source =
    shape.failAfter === undefined
      ? made(makers)
      : concat(made(makers.slice(0, shape.failAfter)), throwError(() => new SourceFailure('the source failed (on purpose)')));
  let steps$: Observable<TrainStep<unknown>> = source.pipe(pipeline(options));
  if (shape.take !== undefined) steps$ = steps$.pipe(take(shape.take));
  const steps: StepRecord[] = [];
  let last: TrainStep<unknown> | undefined;
  return new Promise((resolve) => {
    steps$.subscribe({
      next: (step) => {
        last = step;
        steps.push({
          step: step.step,
          stateStep: step.state?.step,
          microBatches: step.microBatches,
          examples: step.examples,
          loss: step.loss,
          learningRate: step.learningRate,
          update: difference(step.params, start),
        });
      },
      error: (error: unknown) => resolve({ steps, last, error }),
      complete: () => resolve({ steps, last, error: undefined }),
    });
  });
}

function difference(params: Params, start: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(params)) {
    const now = t.dataSync();
    const before = start[name];
    out[name] = before && before.length === now.length ? Float32Array.from(now, (v, i) => v - (before[i] as number)) : Float32Array.from(now);
  }
  return out;
}

/** Frees what the last step left to the caller, but never the model's own parameters. */
export function disposeLast(run: Run, modelParams: Params): void {
  if (!run.last) return;
  const keep = new Set(Object.values(modelParams));
  disposeTree(tensorsIn([run.last.params, run.last.state?.optimizerState]).filter((t) => !keep.has(t)));
}

/** max |a − b| / max |b| over two maps of values; 0 when both are all zeros. */
export function relativeDifference(a: Readonly<Record<string, Float32Array>>, b: Readonly<Record<string, Float32Array>>): number {
  let diff = 0;
  let scale = 0;
  for (const [name, bv] of Object.entries(b)) {
    const av = a[name];
    if (!av || av.length !== bv.length) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < bv.length; i++) {
      diff = Math.max(diff, Math.abs((av[i] as number) - (bv[i] as number)));
      scale = Math.max(scale, Math.abs(bv[i] as number));
    }
  }
  if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
  return scale === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : diff / scale;
}
