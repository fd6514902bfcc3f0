import { describe, expect, it } from 'vitest';
import { CheckpointMismatchError } from '../../lib/errors/CheckpointMismatchError.js';

describe('CheckpointMismatchError', () => {
  it('suggests naming the layers, not allowChanges, when parameter names differ', () => {
    const e = new CheckpointMismatchError('step-4', [
      { field: 'params["dense_Dense1/kernel"]', saved: [3, 2], current: undefined },
      { field: 'params["dense_Dense3/kernel"]', saved: undefined, current: [3, 2] },
    ]);
    expect(e.message).toContain('params["dense_Dense1/kernel"]: saved [3, 2], now absent');
    expect(e.message).toMatch(/parameter names differ: give the layers explicit names/);
    expect(e.message).not.toMatch(/pass allowChanges/);
  });

  it('suggests allowChanges when only the configuration or a parameter\'s shape differs', () => {
    const e = new CheckpointMismatchError('step-4', [
      { field: 'accumulationSteps', saved: 4, current: 8 },
      { field: 'params["hidden/kernel"].shape', saved: [3, 2], current: [3, 5] },
    ]);
    expect(e.message).toMatch(/pass allowChanges/);
    expect(e.message).not.toMatch(/explicit names/);
  });
});
