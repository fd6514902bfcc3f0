import * as tf from '@tensorflow/tfjs';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accumulate } from '../../lib/accumulate/accumulate.js';
import { BatchError } from '../../lib/errors/BatchError.js';
import { NonFiniteGradientError } from '../../lib/errors/NonFiniteGradientError.js';
import type { GradientSample } from '../../lib/gradients/types.js';
import { collect } from '../support/fixtures.js';

const sample = (g: number, count = 1): GradientSample => ({ grads: { w: tf.scalar(g) }, loss: tf.scalar(0), count, examples: 1 });

describe('accumulate frees what it is given, whatever fails', () => {
  it('frees the sample when the accumulation schedule throws', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(
      from([sample(1)]).pipe(
        accumulate(() => {
          throw new Error('boom');
        }),
      ),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('boom');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('treats a NaN count as non-finite data, under the policy', async () => {
    const before = tf.memory().numTensors;
    const samples = [sample(1, Number.NaN), sample(2)];
    const error = await collect(from(samples).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as Error).message).toBe('non-finite count in micro-batch 1 of update 1');
    tf.dispose([samples[1]!.loss, samples[1]!.grads['w']!]); // never sent: the failure stopped the source
    const skipped = await collect(from([sample(1, Number.NaN), sample(2)]).pipe(accumulate(2, { nonFinite: 'skip-micro-batch' })));
    expect(skipped.map((w) => (w.skipped ? 'skipped' : [w.count, w.grads['w']!.dataSync()[0]]))).toEqual([[1, 2]]);
    skipped.forEach((w) => w.skipped || tf.dispose(Object.values(w.grads)));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a negative count with a BatchError naming it', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(from([sample(1, -1)]).pipe(accumulate(1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchError);
    expect((error as BatchError).input).toBe(-1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('catches finite samples whose sum overflows to infinity', async () => {
    const before = tf.memory().numTensors;
    const error = await collect(from([sample(3e38), sample(3e38)]).pipe(accumulate(2))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as Error).message).toBe("non-finite accumulated gradient of 'w' in update 1");
    const dropped = await collect(from([sample(3e38), sample(3e38)]).pipe(accumulate(2, { nonFinite: 'skip-update' })));
    expect(dropped.map((w) => w.skipped)).toEqual([true]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
