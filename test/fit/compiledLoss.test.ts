import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { lossFromName } from '../../lib/models/lossFromName.js';
import { writeParams } from '../../lib/models/writeParams.js';
import { sgd } from '../../lib/optim/sgd.js';
import { train } from '../../lib/train/train.js';
import { disposeStep, lazyBatches, relativeError } from '../support/fixtures.js';
import { convModel, examples, tensorsOf, weightsOf } from './support.js';

describe("a tfjs-examples mnist-node style conv net trains with train() under its compiled loss's name", () => {
  it("compiled with sgd(0.15) and 'categoricalCrossentropy' on softmax: train() in micro-batches of 32 × 4 gives the params of fit at batch 128", async () => {
    const data = examples(512, [6, 6, 1]);
    const before = tf.memory().numTensors;

    const fitted = convModel();
    const tfSgd = tf.train.sgd(0.15);
    fitted.compile({ optimizer: tfSgd, loss: 'categoricalCrossentropy' });
    const { xs, ys } = tensorsOf(data);
    await fitted.fit(xs, ys, { batchSize: 128, shuffle: false, verbose: 0 });
    tf.dispose([xs, ys]);

    const streamed = convModel();
    streamed.compile({ optimizer: tf.train.sgd(0.15), loss: 'categoricalCrossentropy' });
    const batches = lazyBatches([0, 1, 2, 3].map((k) => () => tensorsOf(data, 128 * k, 128 * (k + 1))));
    const last = await lastValueFrom(
      batches.pipe(
        train({
          model: fromLayersModel(streamed),
          loss: lossFromName(streamed.loss), // 'categoricalCrossentropy', as compiled
          optimizer: sgd({ learningRate: 0.15 }),
          microBatchSize: 32,
          accumulationSteps: 4,
        }),
      ),
    );
    writeParams(streamed, last.params);

    expect(last.step).toBe(4);
    expect(relativeError(weightsOf(streamed), weightsOf(fitted))).toBeLessThan(1e-5);
    disposeStep(last);
    streamed.optimizer.dispose();
    [fitted, streamed, tfSgd].forEach((d) => d.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
