import { fastWasmMatMulState, isInForce } from './internal/fastWasmMatMulState.js';

/**
 * Whether the transpose-free matmul kernels of {@link useFastWasmMatMul} are the ones registered for the
 * wasm backend right now.
 *
 * ## Example
 * ```ts
 * const restore = useFastWasmMatMul();
 * fastWasmMatMulEnabled(); // true
 * restore();
 * fastWasmMatMulEnabled(); // false
 * ```
 *
 * @returns `true` between `useFastWasmMatMul()` and the `restore` it returned, unless something else
 *   re-registered those kernels in between
 * @see useFastWasmMatMul
 */
export function fastWasmMatMulEnabled(): boolean {
  const installed = fastWasmMatMulState.installed;
  return installed !== undefined && isInForce(installed);
}
