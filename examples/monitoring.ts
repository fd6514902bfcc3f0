import { Subject, filter, lastValueFrom, toArray, type Observable } from 'rxjs';
import { losses, sgd, tapMetrics, train, type Batch, type Evaluation, type MetricEvent, type Model, type Params } from 'gradstream';

export async function monitoredRun(batches$: Observable<Batch>, model: Model, evaluate: (params: Params) => Evaluation) {
  // Every consumer subscribes to one Subject, before the run starts.
  const events = new Subject<MetricEvent>();
  const updates = lastValueFrom(events.pipe(filter((e) => e.kind === 'update'), toArray()));
  const evaluations = lastValueFrom(events.pipe(filter((e) => e.kind === 'evaluation'), toArray()));

  // The run is subscribed once, however many consumers listen; its steps flow on to lastValueFrom.
  const last = await lastValueFrom(
    batches$.pipe(
      train({ model, loss: losses.meanSquaredError, optimizer: sgd({ learningRate: 0.1 }), accumulationSteps: 2 }),
      tapMetrics(events, { examplesPerEpoch: 16, evaluate }),
    ),
  );
  // last.params and last.state are the caller's: the trained model.
  return { last, updates: await updates, evaluations: await evaluations };
}
