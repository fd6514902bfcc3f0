import * as tf from '@tensorflow/tfjs';
import { accumulatingOptimizer } from 'gradstream';

// tfjs's own model.fit, with batches of 32 accumulated 8 at a time: it trains as fit at batch 256 would.
const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [2], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
    tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  ],
});
const optimizer = accumulatingOptimizer(tf.train.adam(0.01), { steps: 8 }); // was: tf.train.adam(0.01)
model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

// Is a point inside the unit circle?
const xs = tf.randomUniform([2048, 2], -1.5, 1.5, 'float32', 1);
const ys = tf.tidy(() => tf.oneHot(tf.cast(tf.less(tf.sum(tf.square(xs), 1), 1), 'int32'), 2));
const history = await model.fit(xs, ys, { batchSize: 32, epochs: 30, shuffle: false, verbose: 0 });

const accuracy = history.history['acc']!.at(-1) as number;
console.log(`${optimizer.iterations} updates of 256 examples, training accuracy ${(100 * accuracy).toFixed(0)}%`);
// 240 updates of 256 examples, training accuracy 99%

tf.dispose([xs, ys]);
model.dispose();
optimizer.dispose(); // the optimizer owns Adam's state and any open window: model.dispose() leaves it
