import type * as tf from '@tensorflow/tfjs';
import type { GradientSample } from '../../gradients/types.js';
import type { AccumulateConfig } from '../accumulate.js';

/**
 * What the window arithmetic reads: {@link AccumulateConfig}, whose non-finite policy may also be
 * `'unchecked'`. That one is for the `model.fit` wrapper, which must behave as the tfjs optimizers it
 * wraps: they pass a NaN on to the weights and read nothing back, so under it no value is read and
 * a closed window's `gradNorm` is NaN (not measured). No public option names it.
 */
export type WindowConfig = Omit<AccumulateConfig, 'nonFinite'> & {
  readonly nonFinite: AccumulateConfig['nonFinite'] | 'unchecked';
};

/**
 * What a window adds: a {@link GradientSample}, whose loss may be absent (the `model.fit` wrapper sees
 * gradients only). A window keeps a loss sum only while every sample it took carried a loss; a window
 * closed without one reports a NaN loss.
 */
export type WindowSample = Omit<GradientSample, 'loss'> & { readonly loss?: tf.Scalar | undefined };
