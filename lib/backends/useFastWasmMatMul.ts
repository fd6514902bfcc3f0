import * as tf from '@tensorflow/tfjs';
import { KernelNotRegisteredError } from '../errors/KernelNotRegisteredError.js';
import {
  type FastWasmMatMulInstallation,
  fastWasmMatMulState,
  isInForce,
} from './internal/fastWasmMatMulState.js';
import { withUnaliasedWeights } from './internal/unaliasedWeights.js';
import { withoutTransposes } from './internal/withoutTransposes.js';

const BACKEND = 'wasm';
const MATMUL_KERNELS: ReadonlyArray<string> = [tf.BatchMatMul, tf._FusedMatMul];

/**
 * Makes transposed matrix products fast on the wasm backend, by transposing explicitly and then running
 * the backend's own product without transpose flags.
 *
 * tfjs-backend-wasm sends `matMul(a, b)` to XNNPACK only when neither operand is transposed; with
 * `transposeA` or `transposeB` it takes a slow path, several times slower than the plain product (see
 * docs/performance.md). Backprop through a dense layer is made of exactly such
 * products (`dW = xᵀ·dy`, `dx = dy·Wᵀ`), so gradients gain the most. The override replaces the wasm
 * `BatchMatMul` and `_FusedMatMul` kernels with wrappers that call the backend's own Transpose kernel
 * and then the original kernel; shapes and dtypes it does not handle, a fused bias that is not one value
 * per output column, and products with no transpose go to the original (with their right-hand operand
 * copied in the one case below). Results equal the
 * original's up to float32 rounding (the summation order differs), with one exception that is a fix:
 * tfjs-backend-wasm 4.22's `_FusedMatMul` adds the bias at wrong positions when a transpose flag is set,
 * and with the override it is right (as on cpu).
 * It stays wrong, as in the original, for fused products with a bias and a batch above 1; a dense
 * layer's rank-2 product is not affected. A second fix: tfjs-backend-wasm caches the XNNPACK operator
 * of a product by its right-hand operand's buffer, not its shape, so a buffer used in one shape and then
 * in another (`matMul(x, w)`, then `matMul(y, reshape(w, …))`) got a wrong product and a write past its
 * output; with the override such a product gets a fresh copy of the operand. Enable it before the first
 * product: a buffer used through the original kernels before is not known to the override.
 *
 * Opt-in and global (kernel registration is global in TensorFlow.js); other backends are untouched.
 * Idempotent: while it is in force, another call changes nothing and returns the same `restore`.
 * Import `@tensorflow/tfjs-backend-wasm` before calling; the backend need not be active yet.
 *
 * ## Example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 *
 * await tf.setBackend('wasm');
 * const restore = useFastWasmMatMul();
 * const g = tf.grad((w: tf.Tensor) => tf.matMul(x, w).sum())(w); // xᵀ·1, now via XNNPACK
 * restore(); // the original kernels are registered again
 * ```
 *
 * @returns `restore`: registers the original kernel configs again (the very objects
 *   `tf.getKernel` returned before). Idempotent; a `restore` from an earlier enabling does nothing to
 *   a later one, and kernels that someone else has re-registered since are left alone.
 * @throws {KernelNotRegisteredError} if the wasm `BatchMatMul`, `_FusedMatMul` or `Transpose` kernel is
 *   not registered (the wasm backend was not imported); nothing is changed then.
 * @see fastWasmMatMulEnabled
 */
export function useFastWasmMatMul(): () => void {
  const current = fastWasmMatMulState.installed;
  if (current !== undefined && isInForce(current)) return current.restore;

  // Look everything up before changing anything, so that a missing kernel leaves the registry as it was.
  const transpose = registered(tf.Transpose);
  const originals = MATMUL_KERNELS.map(registered);
  const wrappers = originals.map(
    (original): tf.KernelConfig => ({
      ...original,
      kernelFunc: withoutTransposes(withUnaliasedWeights(original.kernelFunc), transpose.kernelFunc),
    }),
  );
  wrappers.forEach(replaceKernel);

  const installation: FastWasmMatMulInstallation = {
    originals,
    wrappers,
    restore: () => {
      if (fastWasmMatMulState.installed !== installation) return;
      fastWasmMatMulState.installed = undefined;
      originals.forEach((original, i) => {
        // Only take back what is still ours: a kernel someone registered after us is theirs now.
        if (tf.getKernel(original.kernelName, original.backendName) === wrappers[i]) replaceKernel(original);
      });
    },
  };
  fastWasmMatMulState.installed = installation;
  return installation.restore;
}

function registered(kernelName: string): tf.KernelConfig {
  const config = tf.getKernel(kernelName, BACKEND);
  if (config === undefined) {
    throw new KernelNotRegisteredError(
      'useFastWasmMatMul',
      kernelName,
      BACKEND,
      "import '@tensorflow/tfjs-backend-wasm' before enabling the fast wasm matmul",
    );
  }
  return config;
}

function replaceKernel(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}
