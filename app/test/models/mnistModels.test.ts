import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mnistCnn } from '../../src/models/mnistCnn.js';
import { mnistMlp } from '../../src/models/mnistMlp.js';
import { ConfigError } from 'gradstream';
import { expectNoLeaks } from '../../../test/support/leaks.js';

const weightsOf = (model: tf.LayersModel): number[][] => model.getWeights().map((w) => Array.from(w.dataSync()));

describe.each([
  ['mnistMlp', mnistMlp, [784], 784 * 128 + 128 + 128 * 10 + 10],
  ['mnistCnn', mnistCnn, [28, 28, 1], 8 * 9 + 8 + 16 * 8 * 9 + 16 + 16 * 5 * 5 * 10 + 10],
] as const)('%s', (_, build, inputShape, parameterCount) => {
  it('maps a batch of digits to 10 logits each', async () => {
    await expectNoLeaks(() => {
      const model = build({ seed: 1 });
      const logits = tf.tidy(() => (model.predict(tf.zeros([5, ...inputShape])) as tf.Tensor).shape);
      model.dispose();
      expect(logits).toEqual([5, 10]);
    });
  });

  it(`has ${parameterCount} parameters`, async () => {
    await expectNoLeaks(() => {
      const model = build({ seed: 1 });
      expect(model.countParams()).toBe(parameterCount);
      model.dispose();
    });
  });

  it('starts from the same weights for the same seed, and from others for another seed', async () => {
    await expectNoLeaks(() => {
      const [a, b, c] = [build({ seed: 3 }), build({ seed: 3 }), build({ seed: 4 })];
      expect(weightsOf(a)).toEqual(weightsOf(b));
      expect(weightsOf(a)[0]).not.toEqual(weightsOf(c)[0]);
      [a, b, c].forEach((m) => m.dispose());
    });
  });

  it('frees every weight on dispose', async () => {
    await expectNoLeaks(() => build({ seed: 0 }).dispose());
  });

  it('rejects a negative seed before making anything', async () => {
    await expectNoLeaks(() => expect(() => build({ seed: -1 })).toThrow(ConfigError));
  });
});
