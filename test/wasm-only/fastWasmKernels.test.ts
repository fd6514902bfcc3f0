import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fastWasmMatMulEnabled } from '../../lib/backends/fastWasmMatMulEnabled.js';
import { useFastWasmKernels } from '../../lib/backends/useFastWasmKernels.js';
import { useFastWasmMatMul } from '../../lib/backends/useFastWasmMatMul.js';
import { useWasmConvGradients } from '../../lib/backends/useWasmConvGradients.js';
import { KernelNotRegisteredError } from '../../lib/errors/KernelNotRegisteredError.js';
import { thrownBy, whileUnregistered } from './support/kernels.js';
import { gradientSample } from '../../lib/gradients/gradientSample.js';
import { fromLayersModel } from '../../lib/models/fromLayersModel.js';
import { softmaxCrossEntropy } from '../../lib/models/losses/softmaxCrossEntropy.js';
import { randomValues } from '../support/fixtures.js';

// Tolerances.
//
// Slice copies values and never computes, so it must equal the cpu kernel byte for byte (NaN, −0 and
// ±Infinity included). MaxPoolGrad and AvgPoolGrad make the cpu kernels' very additions, in float64 and
// in the same order, then round once: they must equal the cpu kernels bit for bit.
//
// Conv2DBackpropFilter and Conv2DBackpropInput compute each element as sums of products x·dy (or
// dy·w). The cpu kernel adds the n products in float64 and rounds once: within (n·2^-53 + 2^-24)·S of
// the exact value, where S is the same sum over absolute values. Ours take dot products of length L in
// float32 through XNNPACK (L = batch·outHeight·outWidth for the filter gradient, L = outChannels for the
// input gradient, whose col2im then adds at most fH·fW such dot products in float64 and rounds once).
// A float32 dot product of L terms, in any order, is within γ_L·S ≈ L·2^-24·S of the exact value
// (Higham, Accuracy and Stability, §3.1), so the two kernels differ by at most about (L + 3)·2^-24·S.
// We require, elementwise,
//     |fast − cpu| ≤ (L + 3) · 2^-24 · S
// with S computed by the cpu kernel itself from |x|, |dy| and |w|. Plain relative error cannot be used:
// with random signs a sum can cancel to ~0. An indexing mistake gives errors of the order of S itself.
const U = 2 ** -24;
const RUNS = { numRuns: 30 } as const;

/** A tensor's plain description, so that the same tensor can be made on either backend. */
interface Plain {
  readonly values: Float32Array | Int32Array | Uint8Array;
  readonly shape: ReadonlyArray<number>;
  readonly dtype: 'float32' | 'int32' | 'bool';
}

/** Tensors alive in the engine, and buffers alive in the wasm backend. */
function counts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
}

/** Runs one kernel on the current backend on fresh inputs, returns its output's bytes and dtype, frees everything. */
function runKernel(name: string, inputs: Readonly<Record<string, Plain>>, attrs: object): { bytes: Uint8Array; values: tf.TypedArray; dtype: string; shape: number[] } {
  const ts = Object.fromEntries(Object.entries(inputs).map(([k, p]) => [k, tf.tensor(p.values, [...p.shape], p.dtype)]));
  try {
    const out = tf.engine().runKernel(name, ts, attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = out.dataSync();
    const result = { bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)), values, dtype: out.dtype, shape: out.shape };
    out.dispose();
    return result;
  } finally {
    tf.dispose(Object.values(ts));
  }
}

/** `f` on the cpu backend; the wasm backend is active again afterwards, whatever happens. */
async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}

/** `f` on wasm with the fast kernels, checked for leaked tensors and wasm buffers. */
function onFastWasm<T>(f: () => T): T {
  expect(tf.getBackend()).toBe('wasm');
  const before = counts();
  const result = f();
  expect(counts()).toEqual(before);
  return result;
}

const small = (min: number, max: number) => fc.integer({ min, max });

// ---------------------------------------------------------------------------------------------------
// Slice

interface SliceCase {
  readonly x: Plain;
  readonly begin: ReadonlyArray<number>;
  readonly size: ReadonlyArray<number>;
}

const SPECIAL = [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.5e38, -1e-45];

function plainOf(shape: ReadonlyArray<number>, dtype: Plain['dtype'], seed: number): Plain {
  const n = tf.util.sizeFromShape([...shape]);
  const r = randomValues(n, seed);
  if (dtype === 'bool') return { values: Uint8Array.from(r, (v) => (v > 0 ? 1 : 0)), shape, dtype };
  if (dtype === 'int32') return { values: Int32Array.from(r, (v) => Math.round(v * 2 ** 31)), shape, dtype };
  return { values: Float32Array.from(r, (v, i) => (i % 7 === 3 ? SPECIAL[i % SPECIAL.length]! : v * 1e3)), shape, dtype };
}

/** A box inside a random shape of rank 1–6: any begin, any size (strided in general). */
const stridedSlice: fc.Arbitrary<SliceCase> = fc
  .record({
    dims: fc.array(fc.record({ dim: small(1, 5), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 6 }),
    dtype: fc.constantFrom<Plain['dtype']>('float32', 'int32', 'bool'),
    seed: small(0, 1e6),
  })
  .map(({ dims, dtype, seed }) => {
    const shape = dims.map((d) => d.dim);
    const begin = dims.map((d) => Math.min(d.dim - 1, Math.floor(d.a * d.dim)));
    const size = dims.map((d, i) => 1 + Math.min(d.dim - begin[i]! - 1, Math.floor(d.b * (d.dim - begin[i]!))));
    return { x: plainOf(shape, dtype, seed), begin, size };
  });

/** Rows of a random shape of rank 1–6: a contiguous block (what microBatches and dataset batches take). */
const contiguousSlice: fc.Arbitrary<SliceCase> = fc
  .record({
    shape: fc.array(small(1, 5), { minLength: 1, maxLength: 6 }),
    a: fc.double({ min: 0, max: 1, noNaN: true }),
    b: fc.double({ min: 0, max: 1, noNaN: true }),
    dtype: fc.constantFrom<Plain['dtype']>('float32', 'int32', 'bool'),
    seed: small(0, 1e6),
  })
  .map(({ shape, a, b, dtype, seed }) => {
    const rows = shape[0]!;
    const first = Math.min(rows - 1, Math.floor(a * rows));
    const count = 1 + Math.min(rows - first - 1, Math.floor(b * (rows - first)));
    return { x: plainOf(shape, dtype, seed), begin: [first, ...shape.slice(1).map(() => 0)], size: [count, ...shape.slice(1)] };
  });

async function expectSliceLikeCpu(c: SliceCase): Promise<void> {
  const attrs = { begin: [...c.begin], size: [...c.size] };
  const fast = onFastWasm(() => runKernel(tf.Slice, { x: c.x }, attrs));
  const cpu = await onCpu(() => runKernel(tf.Slice, { x: c.x }, attrs));
  expect(fast.shape).toEqual(cpu.shape);
  expect(fast.dtype).toBe(cpu.dtype);
  expect(fast.bytes).toEqual(cpu.bytes);
}

// ---------------------------------------------------------------------------------------------------
// Pooling gradients

interface PoolCase {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly filter: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pad: 'same' | 'valid';
  /** Draw x from a few integers, so that windows have ties (the first maximum must win). */
  readonly ties: boolean;
  readonly seed: number;
}

const poolCase: fc.Arbitrary<PoolCase> = fc
  .record({
    batch: small(1, 3),
    height: small(1, 8),
    width: small(1, 8),
    channels: small(1, 3),
    filter: fc.tuple(small(1, 3), small(1, 3)),
    strides: fc.tuple(small(1, 3), small(1, 3)),
    pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    ties: fc.boolean(),
    seed: small(0, 1e6),
  })
  .filter((c) => c.pad === 'same' || (c.filter[0] <= c.height && c.filter[1] <= c.width));

function poolInputs(c: PoolCase): { x: Plain; dy: Plain; attrs: object } {
  const xShape = [c.batch, c.height, c.width, c.channels];
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], [...c.filter], [...c.strides], 1, c.pad);
  const xv = randomValues(tf.util.sizeFromShape(xShape), c.seed).map((v) => (c.ties ? Math.round(v * 2) : v));
  const dy = randomValues(tf.util.sizeFromShape(info.outShape), c.seed + 1);
  return {
    x: { values: xv, shape: xShape, dtype: 'float32' },
    dy: { values: dy, shape: info.outShape, dtype: 'float32' },
    attrs: { filterSize: [...c.filter], strides: [...c.strides], pad: c.pad },
  };
}

async function expectPoolGradLikeCpu(kernel: typeof tf.MaxPoolGrad | typeof tf.AvgPoolGrad, c: PoolCase): Promise<void> {
  const { x, dy, attrs } = poolInputs(c);
  const run = () => {
    if (kernel === tf.AvgPoolGrad) return runKernel(kernel, { dy, input: x }, attrs);
    // MaxPoolGrad also takes the forward output; neither kernel reads it, but tfjs passes it.
    const output = tf.tidy(() => tf.maxPool(tf.tensor4d(x.values, x.shape as [number, number, number, number]), [...c.filter], [...c.strides], c.pad).dataSync());
    return runKernel(kernel, { dy, input: x, output: { values: output, shape: dy.shape, dtype: 'float32' } }, attrs);
  };
  const fast = onFastWasm(run);
  const cpu = await onCpu(run);
  expect(fast.shape).toEqual(cpu.shape);
  expect(fast.bytes).toEqual(cpu.bytes);
}

// ---------------------------------------------------------------------------------------------------
// Convolution gradients

interface ConvCase {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pad: 'same' | 'valid';
  readonly seed: number;
}

const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: small(1, 3),
    height: small(1, 9),
    width: small(1, 9),
    inChannels: small(1, 4),
    outChannels: small(1, 4),
    kernel: fc.tuple(small(1, 3), small(1, 3)),
    strides: fc.tuple(small(1, 3), small(1, 3)),
    pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    seed: small(0, 1e6),
  })
  .filter((c) => c.pad === 'same' || (c.kernel[0] <= c.height && c.kernel[1] <= c.width));

function convShapes(c: ConvCase) {
  const x = [c.batch, c.height, c.width, c.inChannels] as [number, number, number, number];
  const filter = [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(x, filter, [...c.strides], 1, c.pad);
  return { x, filter, dy: info.outShape, outPixels: c.batch * info.outHeight * info.outWidth };
}

function convPlain(shape: ReadonlyArray<number>, seed: number, abs: boolean): Plain {
  const v = randomValues(tf.util.sizeFromShape([...shape]), seed);
  return { values: abs ? v.map(Math.abs) : v, shape, dtype: 'float32' };
}

function runConvGrad(kernel: typeof tf.Conv2DBackpropFilter | typeof tf.Conv2DBackpropInput, c: ConvCase, abs: boolean) {
  const s = convShapes(c);
  const dy = convPlain(s.dy, c.seed + 1, abs);
  const common = { strides: [...c.strides], pad: c.pad, dataFormat: 'NHWC' };
  return kernel === tf.Conv2DBackpropFilter
    ? runKernel(kernel, { x: convPlain(s.x, c.seed, abs), dy }, { ...common, filterShape: s.filter })
    : runKernel(kernel, { dy, filter: convPlain(s.filter, c.seed + 2, abs) }, { ...common, inputShape: s.x });
}

async function expectConvGradWithinBound(kernel: typeof tf.Conv2DBackpropFilter | typeof tf.Conv2DBackpropInput, c: ConvCase): Promise<void> {
  const fast = onFastWasm(() => runConvGrad(kernel, c, false));
  const { cpu, bound } = await onCpu(() => ({ cpu: runConvGrad(kernel, c, false), bound: runConvGrad(kernel, c, true) }));
  const length = kernel === tf.Conv2DBackpropFilter ? convShapes(c).outPixels : c.outChannels;
  expect(fast.shape).toEqual(cpu.shape);
  fast.values.forEach((v, i) => {
    expect(Math.abs(v - cpu.values[i]!)).toBeLessThanOrEqual((length + 3) * U * bound.values[i]!);
  });
}

// ---------------------------------------------------------------------------------------------------
// Whole models: the gradients of an MLP and of a small CNN, as tf.grads computes them

// Tolerance for whole models. The forward pass runs the same wasm kernels with and without
// useFastWasmKernels, so against stock wasm only the backward kernels differ; each differs from the
// exact value by at most (L + 3)·2^-24·S (above), and the gradient of one parameter passes through a
// few of them (L ≤ 100 here), so the two agree to within about 1e-5 of the largest gradient of that
// parameter. The cpu backend also computes the forward pass differently (float64 sums in its conv and
// matmul), which moves every later value by a few float32 ulps and can in principle flip a max-pool
// winner between two values 1e-7 apart (fixed seeds here: none does), so against cpu we allow 1e-4.
// An indexing mistake in any kernel gives differences of the order of the gradient itself.
const MODEL_RTOL_WASM = 1e-5;
const MODEL_RTOL_CPU = 1e-4;

type Grads = Record<string, Float32Array>;

/** Plain parameters and data, made into tensors on whichever backend is active. */
function modelData(kind: 'mlp' | 'cnn', seed: number) {
  const shapes: Record<string, number[]> =
    kind === 'mlp'
      ? { w1: [20, 12], b1: [12], w2: [12, 5], b2: [5] }
      : { k1: [3, 3, 3, 4], k2: [3, 3, 4, 6], w: [6 * 3 * 3, 5], b: [5] };
  const params = Object.fromEntries(Object.entries(shapes).map(([k, sh], i) => [k, { values: randomValues(tf.util.sizeFromShape(sh), seed + i, 0.5), shape: sh }]));
  const rows = 24; // the data set; the model sees rows 5..20, through Slice
  const xShape = kind === 'mlp' ? [rows, 20] : [rows, 11, 11, 3];
  const x = randomValues(tf.util.sizeFromShape(xShape), seed + 10);
  const labels = Array.from({ length: rows }, (_, i) => (i * 7 + seed) % 5);
  return { params, x, xShape, labels };
}

/** The gradient of the mean softmax cross-entropy w.r.t. every parameter, on the active backend. */
function modelGradients(kind: 'mlp' | 'cnn', seed: number): Grads {
  const d = modelData(kind, seed);
  return tf.tidy(() => {
    const names = Object.keys(d.params);
    const ps = names.map((k) => tf.tensor(d.params[k]!.values, d.params[k]!.shape));
    const data = tf.tensor(d.x, d.xShape);
    const batch = tf.slice(data, 5, 16);
    const ys = tf.slice(tf.oneHot(tf.tensor1d(d.labels, 'int32'), 5), [5, 0], [16, 5]);
    const loss = (...ws: tf.Tensor[]): tf.Scalar => {
      const p = Object.fromEntries(names.map((k, i) => [k, ws[i]!]));
      let logits: tf.Tensor;
      if (kind === 'mlp') {
        const h = tf.relu(tf.add(tf.matMul(batch as tf.Tensor2D, p['w1'] as tf.Tensor2D), p['b1']!));
        logits = tf.add(tf.matMul(h, p['w2'] as tf.Tensor2D), p['b2']!);
      } else {
        const c1 = tf.relu(tf.conv2d(batch as tf.Tensor4D, p['k1'] as tf.Tensor4D, 1, 'same')); // 11×11×4
        const p1 = tf.maxPool(c1, 2, 2, 'same'); // 6×6×4
        const c2 = tf.relu(tf.conv2d(p1, p['k2'] as tf.Tensor4D, 2, 'same')); // 3×3×6
        const p2 = tf.avgPool(c2, 2, 1, 'same'); // overlapping windows, 3×3×6
        logits = tf.add(tf.matMul(tf.reshape(p2, [16, 54]), p['w'] as tf.Tensor2D), p['b']!);
      }
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    };
    const grads = tf.grads(loss)(ps);
    return Object.fromEntries(names.map((k, i) => [k, grads[i]!.dataSync() as Float32Array]));
  });
}

function expectGradsClose(actual: Grads, expected: Grads, rtol: number): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k]!;
    const scale = Math.max(...e.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    a.forEach((v, i) => expect(Math.abs(v - e[i]!), `${k}[${i}]`).toBeLessThanOrEqual(rtol * scale));
  }
}

// ---------------------------------------------------------------------------------------------------

describe('useFastWasmKernels', () => {
  let restore: () => void = () => {};
  beforeEach(() => {
    restore = useFastWasmKernels();
  });
  afterEach(() => {
    restore();
    useWasmConvGradients(); // the wasm setup file's state, for the other test files
  });

  describe('Slice', () => {
    it('copies any box of a rank 1–6 tensor (strided in general) byte for byte as the cpu kernel does, for float32, int32 and bool', async () => {
      await fc.assert(fc.asyncProperty(stridedSlice, expectSliceLikeCpu), { numRuns: 60 });
    });

    it('copies any block of whole rows (a contiguous slice) of a rank 1–6 tensor byte for byte as the cpu kernel does', async () => {
      await fc.assert(fc.asyncProperty(contiguousSlice, expectSliceLikeCpu), { numRuns: 40 });
    });

    it('takes rows 2..3 of a 4×3 tensor and column 1 of it (hand-worked)', () => {
      const x = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [4, 3]);
      expect(Array.from(tf.slice(x, [2, 0], [2, 3]).dataSync())).toEqual([6, 7, 8, 9, 10, 11]);
      expect(Array.from(tf.slice(x, [0, 1], [-1, 1]).dataSync())).toEqual([1, 4, 7, 10]);
      tf.dispose(x);
    });

    it('gives an empty tensor for a size of 0, and throws for a box that leaves the tensor', () => {
      const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
      const empty = tf.slice(x, [1, 0], [0, 2]);
      expect(empty.shape).toEqual([0, 2]);
      expect(() => tf.slice(x, [1, 0], [2, 2])).toThrow(/overflow/);
      expect(() => tf.slice(x, [-1, 0], [1, 2])).toThrow(/negative/);
      tf.dispose([x, empty]);
    });
  });

  describe('pooling gradients', () => {
    it('MaxPoolGrad equals the cpu kernel bit for bit, ties and padding included, for any window, stride and padding', async () => {
      await fc.assert(fc.asyncProperty(poolCase, (c) => expectPoolGradLikeCpu(tf.MaxPoolGrad, c)), RUNS);
    });

    it('AvgPoolGrad equals the cpu kernel bit for bit, for any window, stride and padding', async () => {
      await fc.assert(fc.asyncProperty(poolCase, (c) => expectPoolGradLikeCpu(tf.AvgPoolGrad, c)), RUNS);
    });

    it('MaxPoolGrad sends each window’s dy to its first maximum (hand-worked)', () => {
      // x = [[1, 3], [3, 2]] in one 2×2 window: the first 3 (row 0, column 1) wins.
      const dx = tf.tidy(() => {
        const x = tf.tensor4d([1, 3, 3, 2], [1, 2, 2, 1]);
        return tf.grad((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid').mul(5))(x);
      });
      expect(Array.from(dx.dataSync())).toEqual([0, 5, 0, 0]);
      dx.dispose();
    });
  });

  describe('convolution gradients', () => {
    it(`Conv2DBackpropFilter is within (L + 3)·2^-24·Σ|x||dy| of the cpu kernel, for any shape, stride and padding`, async () => {
      await fc.assert(fc.asyncProperty(convCase, (c) => expectConvGradWithinBound(tf.Conv2DBackpropFilter, c)), RUNS);
    });

    it(`Conv2DBackpropInput is within (L + 3)·2^-24·Σ|dy||w| of the cpu kernel, for any shape, stride and padding`, async () => {
      await fc.assert(fc.asyncProperty(convCase, (c) => expectConvGradWithinBound(tf.Conv2DBackpropInput, c)), RUNS);
    });

    it('sends NCHW to the exact kernels: the filter gradient equals the cpu kernel bit for bit, the input gradient is within the bound', async () => {
      await fc.assert(
        fc.asyncProperty(convCase, async (c) => {
          const nchw = (kernel: typeof tf.Conv2DBackpropFilter | typeof tf.Conv2DBackpropInput, abs: boolean) => {
            const s = convShapes(c);
            const x = [c.batch, c.inChannels, c.height, c.width];
            const dyShape = [s.dy[0]!, s.dy[3]!, s.dy[1]!, s.dy[2]!];
            const dy = convPlain(dyShape, c.seed + 1, abs);
            const common = { strides: [...c.strides], pad: c.pad, dataFormat: 'NCHW' };
            return kernel === tf.Conv2DBackpropFilter
              ? runKernel(kernel, { x: convPlain(x, c.seed, abs), dy }, { ...common, filterShape: s.filter })
              : runKernel(kernel, { dy, filter: convPlain(s.filter, c.seed + 2, abs) }, { ...common, inputShape: x });
          };
          const fastFilter = onFastWasm(() => nchw(tf.Conv2DBackpropFilter, false));
          const fastInput = onFastWasm(() => nchw(tf.Conv2DBackpropInput, false));
          const cpu = await onCpu(() => ({ filter: nchw(tf.Conv2DBackpropFilter, false), input: nchw(tf.Conv2DBackpropInput, false), bound: nchw(tf.Conv2DBackpropInput, true) }));
          expect(fastFilter.bytes).toEqual(cpu.filter.bytes);
          fastInput.values.forEach((v, i) => {
            expect(Math.abs(v - cpu.input.values[i]!)).toBeLessThanOrEqual((c.outChannels + 3) * U * cpu.bound.values[i]!);
          });
        }),
        { numRuns: 15 },
      );
    });

    it('computes the filter and input gradients of a 3×3 image and a 2×2 filter (hand-worked)', () => {
      // x = 1..9, w = [[1, 2], [3, 4]], dy = 1: dW = window sums; dx[i][j] = Σ of the w taps that touch it.
      const [dx, dW] = tf.tidy(() => {
        const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
        const w = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
        const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'));
        return g([x, w]);
      });
      expect(Array.from(dW!.dataSync())).toEqual([12, 16, 24, 28]);
      expect(Array.from(dx!.dataSync())).toEqual([1, 3, 2, 4, 10, 6, 3, 7, 4]);
      tf.dispose([dx!, dW!]);
    });
  });
  describe('Identity and Cast', () => {
    const plain: ReadonlyArray<Plain> = [
      { values: new Float32Array([1.5, -0, Number.NaN, -Infinity, 3e-42, 7]), shape: [2, 3], dtype: 'float32' },
      { values: new Int32Array([-2147483648, 0, 5, 2147483647]), shape: [4], dtype: 'int32' },
      { values: new Uint8Array([1, 0, 1]), shape: [3], dtype: 'bool' },
    ];
    const bytesOf = (t: tf.Tensor) => {
      const v = t.dataSync();
      return Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    };

    for (const p of plain) {
      for (const firstFreed of ['input', 'copies'] as const) {
        it(`share a ${p.dtype} input's memory for clone and a cast to ${p.dtype}, which lives until the last of them is freed (${firstFreed} freed first)`, () => {
          const before = counts();
          const x = tf.tensor(p.values, [...p.shape], p.dtype);
          const expected = bytesOf(x);
          const copies = [tf.clone(x), tf.cast(x, p.dtype)];
          // One buffer for the three tensors: the stock kernels made one per copy.
          expect(counts()).toEqual({ tensors: before.tensors + 3, dataIds: before.dataIds + 1 });
          for (const c of copies) {
            expect(c.dataId).toBe(x.dataId);
            expect([c.dtype, c.shape]).toEqual([p.dtype, p.shape]);
          }
          const [first, last] = firstFreed === 'input' ? [[x], copies] : [copies, [x]];
          tf.dispose(first);
          for (const t of last) expect(bytesOf(t)).toEqual(expected);
          expect(counts().dataIds).toBe(before.dataIds + 1);
          tf.dispose(last);
          expect(counts()).toEqual(before);
        });
      }
    }

    it('a clone or cast of weights already used, reshaped, gets its own product (the matmul operator cache is keyed by buffer)', () => {
      onFastWasm(() => {
        const results = tf.tidy(() => {
          const w = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
          const read = (t: tf.Tensor) => Array.from(t.dataSync());
          return [
            read(tf.matMul(tf.ones([1, 2]), w)),
            read(tf.matMul(tf.ones([1, 3]), tf.reshape(tf.clone(w), [3, 2]))),
            read(tf.matMul(tf.ones([1, 3]), tf.reshape(tf.cast(w, 'float32'), [3, 2]))),
          ];
        });
        expect(results).toEqual([[5, 7, 9], [9, 12], [9, 12]]);
      });
    });

    it('copy again once the fast matmul is turned off under them: the stock products would alias a shared clone', () => {
      restore();
      const restoreMatMul = useFastWasmMatMul();
      restore = useFastWasmKernels(); // the matmul was on before it: its restore leaves the matmul alone
      restoreMatMul(); // tfjs's products again; Identity and Cast still ours
      try {
        expect(fastWasmMatMulEnabled()).toBe(false);
        onFastWasm(() => {
          const results = tf.tidy(() => {
            const w = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
            expect(tf.clone(w).dataId).not.toBe(w.dataId);
            expect(tf.cast(w, 'float32').dataId).not.toBe(w.dataId);
            const read = (t: tf.Tensor) => Array.from(t.dataSync());
            return [read(tf.matMul(tf.ones([1, 2]), w)), read(tf.matMul(tf.ones([1, 3]), tf.reshape(tf.clone(w), [3, 2])))];
          });
          expect(results).toEqual([[5, 7, 9], [9, 12]]);
        });
      } finally {
        restore();
        restore = useFastWasmKernels();
      }
    });

    it('cast to another dtype converts exactly as the stock kernel, into a buffer of its own', () => {
      const cases: ReadonlyArray<[Plain, tf.DataType]> = [
        [plain[0]!, 'int32'],
        [plain[1]!, 'float32'],
        [plain[2]!, 'float32'],
        [plain[1]!, 'bool'],
      ];
      const run = () =>
        onFastWasm(() =>
          cases.map(([p, dtype]) => {
            const x = tf.tensor(p.values, [...p.shape], p.dtype);
            const y = tf.cast(x, dtype);
            const result = { dtype: y.dtype, different: y.dataId !== x.dataId, values: Array.from(y.dataSync()) };
            tf.dispose([x, y]);
            return result;
          }),
        );
      const fast = run();
      restore();
      const stock = run();
      restore = useFastWasmKernels();
      expect(fast).toEqual(stock);
      expect(fast.every((r) => r.different)).toBe(true);
      expect(fast[0]!.values).toEqual([1, 0, 0, 0, 0, 7]); // float32 → int32 as the stock kernel does it: NaN and -Infinity become 0
    });

    it('a string clone is still a copy, made by the stock kernel', () => {
      onFastWasm(() => {
        const x = tf.tensor(['a', 'bc'], [2], 'string');
        const c = tf.clone(x);
        expect(c.dataId).not.toBe(x.dataId);
        x.dispose();
        expect(c.arraySync()).toEqual(['a', 'bc']);
        c.dispose();
      });
    });

    it('gives gradients bit-identical to the stock Identity and Cast (an MLP, a CNN and a Layers model), leaking nothing', () => {
      const layers = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [20], units: 12, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
          tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        ],
      });
      const model = fromLayersModel(layers);
      const d = modelData('mlp', 4);
      // tfjs-layers' dense layers save their inputs through customGrad, which clones too.
      const layersSample = (): Grads =>
        tf.tidy(() => {
          const xs = tf.slice(tf.tensor(d.x, d.xShape), 0, 16);
          const ys = tf.oneHot(tf.tensor1d(d.labels.slice(0, 16), 'int32'), 5).toFloat();
          const sample = gradientSample(model, softmaxCrossEntropy, model.params, { xs, ys });
          return Object.fromEntries(Object.entries(sample.grads).map(([k, g]) => [k, g.dataSync() as Float32Array]));
        });
      const all = () => onFastWasm(() => [modelGradients('mlp', 1), modelGradients('cnn', 2), layersSample()]);
      const names = [tf.Identity, tf.Cast];
      const ours = names.map((n) => tf.getKernel(n, 'wasm')!);
      restore();
      const stocks = names.map((n) => tf.getKernel(n, 'wasm')!);
      restore = useFastWasmKernels();
      expect(stocks.every((c, i) => c !== ours[i])).toBe(true);
      const swap = (configs: ReadonlyArray<tf.KernelConfig>) =>
        configs.forEach((c) => {
          tf.unregisterKernel(c.kernelName, 'wasm');
          tf.registerKernel(c);
        });
      let shared: Grads[];
      let copied: Grads[];
      try {
        shared = all();
        // The same fast kernels, with tfjs's own Identity and Cast put back for a moment.
        swap(stocks);
        try {
          copied = all();
        } finally {
          swap(ours);
        }
      } finally {
        layers.dispose();
      }
      const bytes = (g: Float32Array) => Array.from(new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
      shared.forEach((grads, m) => {
        expect(Object.keys(grads)).toEqual(Object.keys(copied[m]!));
        for (const [k, g] of Object.entries(grads)) expect(bytes(g), `model ${m}, ${k}`).toEqual(bytes(copied[m]![k]!));
      });
    });
  });

  describe('whole models', () => {
    for (const kind of ['mlp', 'cnn'] as const) {
      it(`gives the gradients of ${kind === 'mlp' ? 'an MLP' : 'a small CNN (same/strided convs, max and avg pooling)'} equal to stock wasm within 1e-5 and to cpu within 1e-4 of each parameter’s largest gradient, leaking nothing`, async () => {
        for (const seed of [1, 2, 3]) {
          const fast = onFastWasm(() => modelGradients(kind, seed));
          restore();
          const stock = onFastWasm(() => modelGradients(kind, seed)); // tfjs's kernels (+ useWasmConvGradients' filter gradient)
          restore = useFastWasmKernels();
          const cpu = await onCpu(() => modelGradients(kind, seed));
          expectGradsClose(fast, stock, MODEL_RTOL_WASM);
          expectGradsClose(fast, cpu, MODEL_RTOL_CPU);
        }
      });
    }
  });

  describe('registration', () => {
    const NAMES = [tf.Slice, tf.Identity, tf.Cast, tf.MaxPoolGrad, tf.AvgPoolGrad, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.BatchMatMul, tf._FusedMatMul];
    const registered = () => NAMES.map((n) => tf.getKernel(n, 'wasm'));

    it('is idempotent: a second call changes nothing and returns the same restore', () => {
      const before = registered();
      expect(useFastWasmKernels()).toBe(restore);
      expect(registered()).toEqual(before);
    });

    it('turns the fast matmul on, and restore registers again exactly the kernels that were there before', () => {
      restore();
      const before = registered();
      expect(fastWasmMatMulEnabled()).toBe(false);
      restore = useFastWasmKernels();
      expect(fastWasmMatMulEnabled()).toBe(true);
      registered().forEach((config, i) => expect(config).not.toBe(before[i]));
      restore();
      registered().forEach((config, i) => expect(config).toBe(before[i]));
      expect(fastWasmMatMulEnabled()).toBe(false);
    });

    it('leaves the fast matmul on after restore when it was on before, and registers no filter gradient where there was none', () => {
      restore();
      const restoreConv = useWasmConvGradients();
      restoreConv();
      const restoreMatMul = useFastWasmMatMul();
      try {
        restore = useFastWasmKernels();
        expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
        restore();
        expect(fastWasmMatMulEnabled()).toBe(true);
        expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
      } finally {
        restoreMatMul();
      }
    });

    it('leaves a kernel someone registered after it alone on restore', () => {
      const theirs: tf.KernelConfig = { kernelName: tf.Slice, backendName: 'wasm', kernelFunc: () => { throw new Error('theirs'); } };
      const ours = tf.getKernel(tf.Slice, 'wasm')!;
      tf.unregisterKernel(tf.Slice, 'wasm');
      tf.registerKernel(theirs);
      try {
        restore();
        expect(tf.getKernel(tf.Slice, 'wasm')).toBe(theirs);
      } finally {
        tf.unregisterKernel(tf.Slice, 'wasm');
        // What restore would have put back: the stock kernel our Slice was made from.
        tf.registerKernel(ours);
        restore = useFastWasmKernels(); // takes back the rest, then installs afresh
        restore();
      }
    });

    it('throws KernelNotRegisteredError naming the missing wasm kernel, and changes nothing', () => {
      restore();
      const before = registered();
      whileUnregistered(tf.MaxPoolGrad, () => {
        const error = thrownBy(() => useFastWasmKernels());
        expect(error).toBeInstanceOf(KernelNotRegisteredError);
        expect(error).toMatchObject({ fn: 'useFastWasmKernels', kernelName: 'MaxPoolGrad', backendName: 'wasm' });
        expect(fastWasmMatMulEnabled()).toBe(false);
      });
      expect(registered()).toEqual(before);
    });
  });
});
