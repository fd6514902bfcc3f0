import * as tf from '@tensorflow/tfjs';

/** The attributes every Conv2D gradient kernel reads its geometry from. */
type ConvAttrs = Pick<tf.Conv2DBackpropFilterAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>;

/** Most patch values (filter taps × output positions) the im2col kernels materialise at once (256 MB of float32). */
export const MAX_PATCH_VALUES = 64 * 2 ** 20;

/**
 * A Conv2D gradient kernel's geometry, as tfjs computes it for the forward convolution: no dilation, no
 * depthwise, the data format converted from the kernel attribute.
 */
export function conv2DGeometry(
  inputShape: readonly [number, number, number, number],
  filterShape: readonly [number, number, number, number],
  { strides, pad, dataFormat, dimRoundingMode }: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
}

/**
 * The matrix sizes of an im2col kernel over `info` (`m` output positions, `k` filter taps per output
 * channel), or `undefined` when it must leave the work to the original kernel: not channels-last, not float32,
 * more than {@link MAX_PATCH_VALUES} patch values, or nothing to compute.
 */
export function im2colSizes(info: tf.backend_util.Conv2DInfo, ...inputs: ReadonlyArray<tf.TensorInfo>): { readonly m: number; readonly k: number } | undefined {
  const m = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const fits = info.dataFormat === 'channelsLast' && inputs.every((t) => t.dtype === 'float32') && m * k <= MAX_PATCH_VALUES && m * k * info.outChannels !== 0;
  return fits ? { m, k } : undefined;
}
