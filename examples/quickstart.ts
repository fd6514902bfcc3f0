import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, map, range } from 'rxjs';
import { adam, losses, train, type Model } from 'gradstream';

// Fit y = 3x − 1 with a global batch of 64 examples, held in memory 16 at a time.
const model: Model = {
  params: { w: tf.scalar(0), b: tf.scalar(0) },
  apply: (p, xs) => tf.add(tf.mul(xs, p['w']!), p['b']!),
};

const batches = range(0, 300).pipe(
  map((i) =>
    tf.tidy(() => {
      const xs = tf.randomUniform([64], -1, 1, 'float32', i);
      return { xs, ys: tf.sub(tf.mul(xs, 3), 1) };
    }),
  ),
);

const last = await lastValueFrom(
  batches.pipe(
    train({
      model,
      loss: losses.meanSquaredError,
      optimizer: adam({ learningRate: 0.05 }),
      microBatchSize: 16, // each batch of 64 becomes 4 micro-batches...
      accumulationSteps: 4, // ...summed into one update: exactly the full batch's
    }),
  ),
);

console.log(`after ${last.step} updates: loss ${last.loss.toFixed(5)}, w = ${last.params['w']!.dataSync()[0]!.toFixed(3)}`);
// after 300 updates: loss 0.00000, w = 3.000
