import * as tf from '@tensorflow/tfjs';
import { Subject, filter, lastValueFrom, map, pipe, range, scan, take, takeUntil, type OperatorFunction } from 'rxjs';
import { adam, losses, tapMetrics, train, type EvaluationEvent, type MetricEvent, type Model, type Params, type UpdateEvent } from 'gradstream';

/** The first update whose loss is NaN or ±Infinity. */
export const nonFiniteLoss: OperatorFunction<MetricEvent, UpdateEvent> = pipe(
  filter((e): e is UpdateEvent => e.kind === 'update' && !Number.isFinite(e.loss)),
  take(1),
);

/** The evaluation at which test accuracy has not beaten its best by `minDelta` for `patience` evaluations. */
export const accuracyPlateau = (patience: number, minDelta = 0.001): OperatorFunction<MetricEvent, EvaluationEvent> =>
  pipe(
    filter((e): e is EvaluationEvent => e.kind === 'evaluation'),
    scan(
      (s, e) => (e.testAccuracy > s.best + minDelta ? { best: e.testAccuracy, stale: 0, at: e } : { ...s, stale: s.stale + 1, at: e }),
      { best: -Infinity, stale: 0, at: undefined as EvaluationEvent | undefined },
    ),
    filter((s) => s.stale >= patience),
    map((s) => s.at!),
    take(1),
  );

// A two-class task a linear model can learn: is x0 + x1 > 0? 40 epochs at most, of 4 batches of 64.
const xsOf = (seed: number) => tf.randomUniform([64, 2], -1, 1, 'float32', seed);
const labelsOf = (xs: tf.Tensor) => tf.oneHot(tf.cast(tf.greater(tf.sum(xs, 1), 0), 'int32'), 2).toFloat();
const model: Model = {
  params: { w: tf.zeros([2, 2]), b: tf.zeros([2]) },
  apply: (p, xs) => tf.add(tf.matMul(xs, p['w']!), p['b']!),
};
const testXs = xsOf(1000);
const testYs = tf.tidy(() => labelsOf(testXs));
const evaluate = (params: Params) =>
  tf.tidy(() => {
    const predictions = model.apply(params, testXs);
    return {
      testLoss: losses.softmaxCrossEntropy(testYs, predictions).mean().dataSync()[0]!,
      testAccuracy: tf.equal(predictions.argMax(-1), testYs.argMax(-1)).mean().dataSync()[0]!,
    };
  });

// Every monitor subscribes to one Subject before the run starts; the run reports to it with tapMetrics.
const events = new Subject<MetricEvent>();
const stop$ = new Subject<void>();
events.pipe(nonFiniteLoss).subscribe((e) => console.log(`alert: loss is ${e.loss} at update ${e.update}`));
events.pipe(accuracyPlateau(3)).subscribe((e) => {
  console.log(`accuracy plateaued at ${(e.testAccuracy * 100).toFixed(1)}% in epoch ${e.epoch}: stopping`);
  stop$.next();
});

const last = await lastValueFrom(
  range(0, 40 * 4).pipe(
    takeUntil(stop$), // stopping ends the data (before a batch is made): train applies what it holds, all complete
    map((i) => tf.tidy(() => ({ xs: xsOf(i), ys: labelsOf(xsOf(i)) }))),
    train({ model, loss: losses.softmaxCrossEntropy, optimizer: adam({ learningRate: 0.1 }), microBatchSize: 32, accumulationSteps: 2 }),
    tapMetrics(events, { examplesPerEpoch: 4 * 64, evaluate }),
  ),
);
console.log(`stopped after ${last.step} updates of the 160 the data held`);
// The last step's params and optimizer state are ours, as are the test set and the initial params.
const { mu, nu } = last.state.optimizerState;
tf.dispose([last.params, mu, nu, testXs, testYs, model.params]);
