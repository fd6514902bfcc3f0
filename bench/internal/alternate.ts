import { Bench } from 'tinybench';
import { summarize, type Summary } from './stats.js';

/** One side of a side-by-side comparison. */
export interface Contender {
  readonly name: string;
  /** One timed iteration. */
  readonly fn: () => unknown;
  /** Runs before this contender's iterations of each round (untimed): select a backend, a kernel... */
  readonly setup?: () => unknown;
  /** Runs after them (untimed). */
  readonly teardown?: () => unknown;
}

export interface AlternateOptions {
  /** Untimed iterations of each contender before the first round. */
  readonly warmup: number;
  /** Rounds; in each, every contender runs `perRound` timed iterations, in an order that alternates. */
  readonly rounds: number;
  readonly perRound: number;
}

/** Timings of one contender: every iteration's milliseconds, and each round's median. */
export interface Timings {
  readonly name: string;
  readonly ms: Summary;
  readonly roundMedians: ReadonlyArray<number>;
}

/**
 * Times contenders side by side in one process: rounds of a few iterations each, A B then B A, so that
 * whatever else the machine does (colleagues' test runs on shared cores) lands on both sides alike.
 * Each round is a tinybench `Bench` with a fixed iteration count and no time budget; the contenders'
 * `setup`/`teardown` run as tinybench's hooks, outside the timed iterations.
 *
 * Compare the results only as ratios: {@link ratio} takes the median over rounds of each round's ratio.
 */
export async function alternate(contenders: ReadonlyArray<Contender>, options: AlternateOptions): Promise<Timings[]> {
  const byName = new Map(contenders.map((c) => [c.name, c]));
  const hooks = {
    setup: async (task?: { name: string }) => {
      if (task) await byName.get(task.name)?.setup?.();
    },
    teardown: async (task?: { name: string }) => {
      if (task) await byName.get(task.name)?.teardown?.();
    },
  };
  const runRound = async (order: ReadonlyArray<Contender>, iterations: number): Promise<Map<string, number[]>> => {
    const bench = new Bench({ time: 0, iterations, warmup: false, retainSamples: true, throws: true, ...hooks });
    for (const c of order) bench.add(c.name, async () => {
      await c.fn();
    });
    await bench.run();
    return new Map(bench.tasks.map((t) => {
      const r = t.result;
      const samples = 'latency' in r ? [...(r.latency.samples ?? [])] : [];
      return [t.name, samples];
    }));
  };

  if (options.warmup > 0) await runRound(contenders, options.warmup);
  const all = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const rounds = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    const samples = await runRound(order, options.perRound);
    for (const c of contenders) {
      const s = samples.get(c.name) ?? [];
      all.get(c.name)?.push(...s);
      rounds.get(c.name)?.push(summarize(s).median);
    }
  }
  return contenders.map((c) => ({ name: c.name, ms: summarize(all.get(c.name) ?? []), roundMedians: rounds.get(c.name) ?? [] }));
}

/**
 * How many times slower `a` is than `b` (a / b of milliseconds): the median over rounds of the rounds'
 * ratios, with their interquartile range. Rounds pair iterations that ran seconds apart, so a load that
 * comes and goes cancels out of each round's ratio.
 */
export function ratio(a: Timings, b: Timings): Summary {
  return summarize(a.roundMedians.map((x, i) => x / (b.roundMedians[i] as number)));
}
