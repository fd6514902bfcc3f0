import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { conv2DBackpropFilterWasm } from '../../lib/backends/internal/conv2DBackpropFilterWasm.js';
import { useWasmConvGradients } from '../../lib/backends/useWasmConvGradients.js';
import { KernelNotRegisteredError } from '../../lib/errors/KernelNotRegisteredError.js';
import { thrownBy, whileUnregistered } from './support/kernels.js';
import { randomValues } from '../support/fixtures.js';

// Tolerance. Each element of dW is a sum of products x·dy. The wasm kernel and the cpu kernel both add
// the products in float64 and round to float32 once; they are designed to add them in the same order,
// and then agree bit for bit (the second law below). Whatever the order, each double sum of n ≤ 3·9·9
// terms is within n·2^-53·S of the exact value, where S = Σ|x|·|dy| over the same terms, and the final
// rounding adds at most 2^-24·S; so two correct kernels differ by at most 2·(2^-24 + n·2^-53)·S < 1.3e-7·S.
// We require, elementwise,
//     |wasm − cpu| ≤ 1e-6 · S
// S is computed by the cpu kernel itself, from |x| and |dy|. Plain relative error cannot be used:
// with random signs a sum can cancel to ~0.
const RTOL = 1e-6;
const RUNS = { numRuns: 25 } as const;

type Layout = 'NHWC' | 'NCHW';

interface Case {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pad: 'same' | 'valid';
  readonly layout: Layout;
  readonly seed: number;
}

const small = (min: number, max: number) => fc.integer({ min, max });
const caseWith = (layout: fc.Arbitrary<Layout>): fc.Arbitrary<Case> =>
  fc.record({
    batch: small(1, 3),
    height: small(3, 9),
    width: small(3, 9),
    inChannels: small(1, 3),
    outChannels: small(1, 3),
    kernel: fc.tuple(small(1, 3), small(1, 3)),
    strides: fc.tuple(small(1, 2), small(1, 2)),
    pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    layout,
    seed: fc.integer({ min: 0, max: 1e6 }),
  });

/** The shapes of x, dy and the filter, for `c`'s layout. */
function shapes(c: Case): { x: number[]; dy: number[]; filter: [number, number, number, number] } {
  const filter: [number, number, number, number] = [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels];
  const x = c.layout === 'NHWC' ? [c.batch, c.height, c.width, c.inChannels] : [c.batch, c.inChannels, c.height, c.width];
  const info = tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter,
    [c.strides[0], c.strides[1]],
    1,
    c.pad,
    undefined,
    false,
    c.layout === 'NHWC' ? 'channelsLast' : 'channelsFirst',
  );
  return { x, dy: info.outShape, filter };
}

/** x and dy as plain arrays, the same on every backend; `abs` gives |x| and |dy|, for the bound S. */
function values(c: Case, abs = false): { x: Float32Array; dy: Float32Array } {
  const s = shapes(c);
  const x = randomValues(tf.util.sizeFromShape(s.x), c.seed);
  const dy = randomValues(tf.util.sizeFromShape(s.dy), c.seed + 1);
  return abs ? { x: x.map(Math.abs), dy: dy.map(Math.abs) } : { x, dy };
}

/** The gradient of `sum(conv2d(x, w) · dy)` w.r.t. the filter w, through tf.grad, on the current backend. */
function filterGradient(c: Case, abs = false): Float32Array {
  const s = shapes(c);
  const v = values(c, abs);
  const dW = tf.tidy(() => {
    const x = tf.tensor4d(v.x, s.x as [number, number, number, number]);
    const dy = tf.tensor4d(v.dy, s.dy as [number, number, number, number]);
    const w = tf.zeros(s.filter);
    return tf.grad((w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [c.strides[0], c.strides[1]], c.pad))(w, dy);
  });
  return read(dW);
}

/** The Conv2DBackpropFilter kernel called directly, on the current backend (wasm's Conv2D has no NCHW). */
function kernelOutput(c: Case, abs = false): Float32Array {
  const s = shapes(c);
  const v = values(c, abs);
  const dW = tf.tidy(() => {
    const x = tf.tensor4d(v.x, s.x as [number, number, number, number]);
    const dy = tf.tensor4d(v.dy, s.dy as [number, number, number, number]);
    const attrs = { strides: [c.strides[0], c.strides[1]], pad: c.pad, dataFormat: c.layout, filterShape: s.filter };
    return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor;
  });
  return read(dW);
}

function read(t: tf.Tensor): Float32Array {
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

/** Tensors alive in the engine, and buffers alive in the wasm backend. */
function counts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.engine().backend.numDataIds() };
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

/** What `f` gives on wasm (checked for leaks), what it gives on cpu, and the bound S from cpu. */
async function wasmAndCpu(f: (c: Case, abs?: boolean) => Float32Array, c: Case) {
  expect(tf.getBackend()).toBe('wasm');
  const before = counts();
  const wasm = f(c);
  expect(counts()).toEqual(before);
  const { cpu, bound } = await onCpu(() => ({ cpu: f(c), bound: f(c, true) }));
  return { wasm, cpu, bound };
}

function expectWithinBound(wasm: Float32Array, cpu: Float32Array, bound: Float32Array): void {
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((w, i) => expect(Math.abs(w - cpu[i]!)).toBeLessThanOrEqual(RTOL * bound[i]!));
}

describe('useWasmConvGradients', () => {
  // The wasm setup file registers the kernel; tests that unregister it put it back.
  afterEach(() => {
    useWasmConvGradients();
  });

  it('gives the filter gradient of tf.conv2d on wasm equal to the cpu backend’s within 1e-6·Σ|x||dy|, for any shape, stride and padding', async () => {
    await fc.assert(
      fc.asyncProperty(caseWith(fc.constant('NHWC')), async (c) => {
        const { wasm, cpu, bound } = await wasmAndCpu(filterGradient, c);
        expectWithinBound(wasm, cpu, bound);
      }),
      RUNS,
    );
  });

  it('gives the Conv2DBackpropFilter kernel’s output bit for bit equal to the cpu kernel’s, in NHWC and NCHW', async () => {
    await fc.assert(
      fc.asyncProperty(caseWith(fc.constantFrom<Layout>('NHWC', 'NCHW')), async (c) => {
        const { wasm, cpu, bound } = await wasmAndCpu(kernelOutput, c);
        expectWithinBound(wasm, cpu, bound);
        expect(wasm).toEqual(cpu);
      }),
      RUNS,
    );
  });

  it('sums each 2×2 window of a 3×3 image for a 2×2 filter with dy = 1 (hand-worked)', () => {
    // x = 1..9 row by row; dW[i][j] = the sum of the 2×2 window at (i, j): 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9.
    const dW = tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const dy = tf.ones([1, 2, 2, 1]);
      return tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'valid'))(tf.zeros([2, 2, 1, 1]), dy);
    });
    expect(dW.shape).toEqual([2, 2, 1, 1]);
    expect(Array.from(read(dW))).toEqual([12, 16, 24, 28]);
  });

  it('lets a tiny Conv2D Sequential model train on wasm, without leaking tensors or wasm buffers', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, strides: 1, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const xs = tf.tensor4d(randomValues(4 * 6 * 6 * 2, 3), [4, 6, 6, 2]);
    const ys = tf.tensor2d(randomValues(4 * 2, 4), [4, 2]);
    const kernel = () => read(model.layers[0]!.getWeights()[0]!.clone());
    const initial = kernel();

    await model.trainOnBatch(xs, ys); // the first step builds the train function; measure the second
    const before = counts();
    const loss = await model.trainOnBatch(xs, ys);
    const after = counts();

    expect(Number.isFinite(loss as number)).toBe(true);
    const trained = kernel();
    expect(trained.every(Number.isFinite)).toBe(true);
    expect(trained).not.toEqual(initial);
    expect(after).toEqual(before);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('is idempotent: a second call registers nothing and returns the same restore', () => {
    const config = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
    const first = useWasmConvGradients();
    const second = useWasmConvGradients();
    expect(second).toBe(first);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(config);
  });

  it('restore unregisters the kernel it registered, and a stale restore leaves a later registration alone', () => {
    useWasmConvGradients()();
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')).toBeDefined();

    const restore = useWasmConvGradients();
    const config = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
    expect(config).toBeDefined();
    restore();
    const later = useWasmConvGradients();
    restore(); // stale: must not take back `later`'s kernel
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    later();
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
  });

  it('leaves a Conv2DBackpropFilter kernel it did not register alone, and its restore does nothing', () => {
    useWasmConvGradients()();
    const theirs: tf.KernelConfig = { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm };
    tf.registerKernel(theirs);
    try {
      const restore = useWasmConvGradients();
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(theirs);
      restore();
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(theirs);
    } finally {
      tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    }
  });

  it('throws KernelNotRegisteredError naming Conv2D and wasm when the wasm Conv2D kernel is missing, and changes nothing', () => {
    useWasmConvGradients()();
    whileUnregistered(tf.Conv2D, () => {
      const error = thrownBy(() => useWasmConvGradients());
      expect(error).toBeInstanceOf(KernelNotRegisteredError);
      expect(error).toMatchObject({ fn: 'useWasmConvGradients', kernelName: 'Conv2D', backendName: 'wasm' });
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    });
  });
});
