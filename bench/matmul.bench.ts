// Speed of transposed matmul on the wasm backend, with and without useFastWasmMatMul.
// Run: npx vitest bench --run --project wasm bench/matmul.bench.ts
// Not a test: it asserts nothing; read the hz / mean columns.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { bench, describe } from 'vitest';
import { useFastWasmMatMul } from '../lib/backends/useFastWasmMatMul.js';

await tf.setBackend('wasm');
await tf.ready();

const timing = { time: 1500, warmupIterations: 3 } as const;

// 256 examples of 784 features through a 784→256 dense layer: the products of its forward and backward.
const x = tf.randomNormal([256, 784]);
const w = tf.randomNormal([784, 256]);
const xT = tf.randomNormal([784, 256]); // xT·w with transposeA has the shape of x·w
const wT = tf.randomNormal([256, 784]); // x·wT with transposeB has the shape of x·w

// A two-layer MLP training step: forward, loss, gradients of both weights (dense backward = transposes).
const w1 = tf.variable(tf.randomNormal([784, 256], 0, 0.05));
const w2 = tf.variable(tf.randomNormal([256, 10], 0, 0.05));
const labels = tf.oneHot(tf.randomUniform([256], 0, 10, 'int32'), 10);

function run(f: () => tf.Tensor): void {
  const y = f();
  y.dataSync(); // wasm is synchronous, but read back so that nothing is left to a later iteration
  y.dispose();
}

function trainStep(): void {
  const { value, grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.relu(tf.matMul(x, w1)), w2)),
  );
  value.dispose();
  tf.dispose(grads);
}

for (const override of [false, true]) {
  describe(override ? 'with useFastWasmMatMul' : 'original wasm kernels', () => {
    // tinybench runs setup/teardown around each task's warm-up and measured cycle (suite hooks do not
    // run in bench mode), so the override is on exactly while this suite's tasks run.
    let restore: (() => void) | undefined;
    const options = {
      ...timing,
      setup: () => {
        if (override) restore = useFastWasmMatMul();
      },
      teardown: () => restore?.(),
    };

    bench('plain       256x784 . 784x256', () => run(() => tf.matMul(x, w)), options);
    bench('transposeA  (784x256)T . 784x256', () => run(() => tf.matMul(xT, w, true, false)), options);
    bench('transposeB  256x784 . (256x784)T', () => run(() => tf.matMul(x, wT, false, true)), options);
    bench('explicit transpose then plain', () => run(() => tf.tidy(() => tf.matMul(tf.transpose(xT), w))), options);
    bench('MLP 784-256-10 training step, batch 256', trainStep, options);
  });
}
