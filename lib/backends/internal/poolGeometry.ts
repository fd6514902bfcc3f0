import * as tf from '@tensorflow/tfjs';

/** The numbers a pooling gradient walks by: sizes, strides, the effective window and the padding before it. */
export interface PoolGeometry {
  readonly batchSize: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly channels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  /** The window's height and width, dilation included. */
  readonly fH: number;
  readonly fW: number;
  /** The window's height and width as given: their product is an average's divisor. */
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** Padding rows above and columns left of the input. */
  readonly top: number;
  readonly left: number;
}

/**
 * The geometry of a 2-D pooling over `input` (NHWC), as tfjs's own kernels compute it
 * (`backend_util.computePool2DInfo`, dilation 1), so that our gradients visit the windows tfjs's do.
 */
export function poolGeometry(
  input: tf.TensorInfo,
  attrs: Pick<tf.MaxPoolGradAttrs, 'filterSize' | 'strides' | 'pad' | 'dimRoundingMode'>,
): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    fH: info.effectiveFilterHeight,
    fW: info.effectiveFilterWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}
