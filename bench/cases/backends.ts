/**
 * Case 4, backends: the same training step (train(), one update of 8 micro-batches of 32 real digits)
 * on cpu (when `withCpu`), on wasm with tfjs's own kernels, and on wasm with useFastWasmMatMul(), alternated side by side
 * in one process (each contender selects its backend, and turns the override on and off, in untimed
 * hooks around its iterations). Figures: speed-ups as ratios of median milliseconds per update.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastWasmMatMul } from '../../lib/backends/useFastWasmMatMul.js';
import type { Examples } from '../../lib/data/types.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { alternate, type AlternateOptions, ratio, type Contender } from '../internal/alternate.js';
import { makeLayers, microBatchSource, type ModelName, runTrain } from '../internal/fixtures.js';
import { type Summary, summarize } from '../internal/stats.js';

export interface BackendsResult {
  readonly model: ModelName;
  readonly msPerUpdate: Readonly<Record<string, Summary>>;
  /** wasm (tfjs kernels) over wasm + useFastWasmMatMul: the override's speed-up. */
  readonly fastMatMulSpeedup: Summary;
  /** cpu over wasm + useFastWasmMatMul; null when cpu was not timed. */
  readonly wasmFastOverCpu: Summary | null;
  /** cpu over wasm with tfjs's kernels; null when cpu was not timed. */
  readonly wasmOverCpu: Summary | null;
}

/**
 * @param withCpu whether to time the cpu contender too (false for the CNN: seconds per backward pass there)
 */
export async function backends(
  examples: Examples,
  name: ModelName,
  updates: number,
  timing: AlternateOptions,
  withCpu: boolean,
): Promise<BackendsResult> {
  const n = 8;
  const made: { readonly layers: tf.LayersModel; readonly backend: 'cpu' | 'wasm' }[] = [];
  const contender = async (label: string, backend: 'cpu' | 'wasm', fast: boolean): Promise<Contender> => {
    await tf.setBackend(backend);
    const layers = makeLayers(name); // its weights live on `backend`, and only ever run there
    made.push({ layers, backend });
    const model = fromLayersModel(layers);
    let restore: (() => void) | undefined;
    return {
      name: label,
      fn: () => runTrain(model, microBatchSource(examples, name, updates * n), n),
      setup: async () => {
        await tf.setBackend(backend);
        if (fast) restore = useFastWasmMatMul();
      },
      teardown: () => {
        restore?.();
        restore = undefined;
      },
    };
  };
  try {
    const contenders = [
      await contender('wasm', 'wasm', false),
      await contender('wasm + useFastWasmMatMul', 'wasm', true),
      ...(withCpu ? [await contender('cpu', 'cpu', false)] : []),
    ];
    const [wasm, fast, cpu] = await alternate(contenders, timing);
    const perUpdate = (xs: ReadonlyArray<number>) => summarize(xs.map((x) => x / updates));
    return {
      model: name,
      msPerUpdate: Object.fromEntries([wasm!, fast!, ...(cpu ? [cpu] : [])].map((t) => [t.name, perUpdate(t.roundMedians)])),
      fastMatMulSpeedup: ratio(wasm!, fast!),
      wasmFastOverCpu: cpu ? ratio(cpu, fast!) : null,
      wasmOverCpu: cpu ? ratio(cpu, wasm!) : null,
    };
  } finally {
    for (const { layers, backend } of made) {
      await tf.setBackend(backend);
      layers.dispose();
    }
  }
}
