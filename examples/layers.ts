import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, map, range } from 'rxjs';
import { adam, disposeState, fromLayersModel, losses, train, writeParams } from 'gradstream';

// A Keras-style model, trained with a global batch of 128 held in memory 32 examples at a time.
const layersModel = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }),
    tf.layers.dense({ units: 3 }), // logits: softmaxCrossEntropy applies the softmax
  ],
});
const model = fromLayersModel(layersModel);

// Three classes, told apart by which of the first three features is largest.
const batches = range(0, 60).pipe(
  map((i) =>
    tf.tidy(() => {
      const xs = tf.randomNormal([128, 4], 0, 1, 'float32', i);
      return { xs, ys: tf.oneHot(tf.argMax(xs.slice([0, 0], [-1, 3]), 1), 3).toFloat() };
    }),
  ),
);

const last = await lastValueFrom(
  batches.pipe(
    train({
      model,
      loss: losses.softmaxCrossEntropy,
      optimizer: adam({ learningRate: 0.02 }),
      microBatchSize: 32,
      accumulationSteps: 4,
    }),
  ),
);

writeParams(layersModel, last.params); // predict, evaluate and save now use the trained weights
disposeState(last.state); // the last step's params and optimizer state are yours: free them

const accuracy = tf.tidy(() => {
  const xs = tf.randomNormal([1000, 4], 0, 1, 'float32', 1234);
  const predicted = (layersModel.predict(xs) as tf.Tensor).argMax(1);
  return tf.mean(tf.equal(predicted, tf.argMax(xs.slice([0, 0], [-1, 3]), 1)).toFloat()).dataSync()[0]!;
});
console.log(`after ${last.step} updates: accuracy ${(accuracy * 100).toFixed(0)}% on new examples`);
// after 60 updates: accuracy 9x% on new examples
