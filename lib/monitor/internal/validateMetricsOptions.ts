import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ConfigError } from '../../errors/ConfigError.js';
import type { Params } from '../../params/types.js';
import { optionKeys, optionsObject } from '../../internal/options.js';
import { integerAtLeast, isFunction, withDefault } from '../../internal/validate.js';
import type { Evaluation, MetricsOptions } from '../types.js';
import type { MetricEventsConfig } from './metricEvents.js';

/** The pure validator behind {@link metrics}' and {@link tapMetrics}' options; `fn` names the function in errors. */
export const validateMetricsOptions = (fn: string, o: MetricsOptions): E.Either<ConfigError, MetricEventsConfig> =>
  pipe(
    E.Do,
    // A misspelt option (`examplesPerEpok`) is rejected, naming the nearest one, rather than ignored.
    E.bind('known', () => optionsObject(fn, optionKeys<MetricsOptions>({ examplesPerEpoch: true, evaluate: true, clock: true, memory: true }))(o)),
    E.bind('examplesPerEpoch', () => withDefault(integerAtLeast(fn, 'examplesPerEpoch', 1), Infinity)(o.examplesPerEpoch)),
    E.bind('evaluate', () =>
      withDefault(isFunction<(params: Params) => Evaluation>(fn, 'evaluate'), undefined)(o.evaluate),
    ),
    E.bind('clock', () => withDefault(isFunction<() => number>(fn, 'clock'), () => performance.timeOrigin + performance.now())(o.clock)),
    E.bind('memory', () => withDefault(isFunction<() => { numTensors: number; numBytes: number }>(fn, 'memory'), () => tf.memory())(o.memory)),
  );

