// `gradstream/wasm`: gradstream's kernels for tfjs-backend-wasm. Named re-exports only. Nothing here runs
// on import: each kernel is registered when its function is called, so a program that never imports
// this entry trains on tfjs's kernels alone.

export { useFastWasmKernels } from '../backends/useFastWasmKernels.js';
export { useFastWasmMatMul } from '../backends/useFastWasmMatMul.js';
export { fastWasmMatMulEnabled } from '../backends/fastWasmMatMulEnabled.js';
export { useWasmConvGradients } from '../backends/useWasmConvGradients.js';
