import type { EvaluationEvent, MetricEvent, UpdateEvent } from 'gradstream';

/** The x-axes a chart can be drawn over: updates, examples seen, or wall-clock seconds since the run began. */
export type ChartAxis = 'update' | 'examplesSeen' | 'seconds';

/** The chart axes, in the order the dashboard offers them. */
export const chartAxes: ReadonlyArray<ChartAxis> = ['update', 'examplesSeen', 'seconds'];

/** An event as a chart plots it: the event's own fields, its run, and the x values the event does not carry. */
export type ChartRow = (UpdateEvent | EvaluationEvent) & {
  readonly run: string;
  /** Examples seen at this point: an evaluation takes the one of the update it scores. */
  readonly examplesSeen: number;
  /** Seconds since the run's first update began. */
  readonly seconds: number;
};

/**
 * A row maker for one run: feeds on the run's events in order and gives each its chart row. Stateful
 * (the run's start time, the last update's examples), so one maker per run; the static chart and the
 * dashboard server both build their rows here, so both plot the same numbers.
 */
export const chartRows = (run: string): ((event: MetricEvent) => ChartRow) => {
  let start: number | undefined;
  let examplesSeen = 0;
  return (event) => {
    if (event.kind === 'update') {
      start ??= event.time - (Number.isFinite(event.msPerUpdate) ? event.msPerUpdate : 0);
      examplesSeen = event.examplesSeen;
    }
    start ??= event.time;
    return { ...event, run, examplesSeen, seconds: (event.time - start) / 1000 };
  };
};
