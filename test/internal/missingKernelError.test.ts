import { describe, expect, it } from 'vitest';
import { KernelNotRegisteredError } from '../../lib/errors/KernelNotRegisteredError.js';
import { missingKernelError } from '../../lib/internal/missingKernelError.js';

// Pure: tfjs's error messages in, typed errors out; no tensors, no backend.
describe('missingKernelError', () => {
  it("turns wasm's missing Conv2DBackpropFilter into an error that names gradstream/wasm's opt-in", () => {
    const error = missingKernelError('gradientSample', new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"));

    expect(error).toBeInstanceOf(KernelNotRegisteredError);
    expect(error?.kernelName).toBe('Conv2DBackpropFilter');
    expect(error?.backendName).toBe('wasm');
    expect(error?.message).toMatch(/^gradientSample: kernel 'Conv2DBackpropFilter' is not registered for backend 'wasm'; /);
    expect(error?.message).toContain("import { useWasmConvGradients } from 'gradstream/wasm'");
  });

  it('names the backend and tf.registerKernel for a kernel gradstream does not ship', () => {
    const error = missingKernelError('gradientSample', new Error("Kernel 'Erf' not registered for backend 'webgpu'"));

    expect(error?.message).toContain("the 'webgpu' backend does not have it");
    expect(error?.message).toContain('tf.registerKernel');
    expect(error?.message).not.toContain('gradstream/wasm');
  });

  it('leaves any other error alone', () => {
    expect(missingKernelError('gradientSample', new Error('something else'))).toBeUndefined();
    expect(missingKernelError('gradientSample', 'not an error')).toBeUndefined();
  });
});
