import type * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';
import { adamw, chain, clipByGlobalNorm, fromLayersModel, losses, train, warmupCosineDecay, type Batch } from 'gradstream';

export const training = (layersModel: tf.LayersModel, batches$: Observable<Batch>) =>
  batches$.pipe(
    train({
      model: fromLayersModel(layersModel),
      loss: losses.softmaxCrossEntropy,
      optimizer: chain(
        clipByGlobalNorm(1), // sees the accumulated gradient, never a micro-batch's
        adamw({ learningRate: warmupCosineDecay({ peak: 1e-3, warmupSteps: 100, decaySteps: 2000 }) }),
      ),
      microBatchSize: 32,
      accumulationSteps: 8, // global batch 256
      nonFinite: 'skip-update',
    }),
  );
