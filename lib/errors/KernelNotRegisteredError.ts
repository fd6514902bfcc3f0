import { GradstreamError } from './GradstreamError.js';

/**
 * A TensorFlow.js kernel that a gradstream function needs is not registered for a backend, usually
 * because the backend's package was never imported. Thrown synchronously, before anything is changed,
 * by the `use…` kernel functions; sent down the stream's error channel by {@link train} (from
 * {@link gradientSample}) when a model's forward or backward pass needs a kernel the backend lacks, with a
 * message that names a fix. (On wasm, a Conv2D model needs the `Conv2DBackpropFilter` kernel that
 * tfjs-backend-wasm lacks; gradstream registers its own only when asked, by `useWasmConvGradients` or
 * `useFastWasmKernels` from `gradstream/wasm`, and the message says so.)
 *
 * `input` is `{ kernelName, backendName }`.
 *
 * ## Example
 * ```ts
 * try {
 *   useFastWasmMatMul(); // from 'gradstream/wasm', but '@tensorflow/tfjs-backend-wasm' was not imported
 * } catch (e) {
 *   if (e instanceof KernelNotRegisteredError) console.log(e.kernelName, e.backendName); // Transpose wasm
 * }
 * ```
 */
export class KernelNotRegisteredError extends GradstreamError {
  /** The public function that needed the kernel. */
  readonly fn: string;
  /** The kernel's name, e.g. `BatchMatMul`. */
  readonly kernelName: string;
  /** The backend's name, e.g. `wasm`. */
  readonly backendName: string;

  /**
   * @param fn the public function, e.g. `useFastWasmMatMul`
   * @param kernelName the missing kernel, e.g. `BatchMatMul`
   * @param backendName the backend it is missing for, e.g. `wasm`
   * @param hint how to fix it, e.g. `import '@tensorflow/tfjs-backend-wasm' first`
   */
  constructor(fn: string, kernelName: string, backendName: string, hint: string) {
    super(
      `${fn}: kernel '${kernelName}' is not registered for backend '${backendName}'; ${hint}`,
      { kernelName, backendName },
    );
    this.fn = fn;
    this.kernelName = kernelName;
    this.backendName = backendName;
  }
}
