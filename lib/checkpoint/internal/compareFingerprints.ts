import type { FingerprintDifference } from '../../errors/CheckpointMismatchError.js';
import { isRecord } from '../../internal/isRecord.js';
import type { AllowedChange, Fingerprint } from '../types.js';

export type { AllowedChange } from '../types.js';

/**
 * Every field in which `current` differs from `saved`, with both values; the allowed changes are left out
 * (`learningRate` wherever it appears in the optimizer, `accumulationSteps`).
 */
export function compareFingerprints(saved: Fingerprint, current: Fingerprint, allow: ReadonlyArray<AllowedChange>): FingerprintDifference[] {
  const out: FingerprintDifference[] = [];
  const diff = (field: string, a: unknown, b: unknown, key?: string): void => {
    if (key === 'learningRate' && allow.includes('learningRate')) return;
    if (isRecord(a) && isRecord(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(`${field}.${k}`, a[k], b[k], k);
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => diff(`${field}[${i}]`, x, b[i]));
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field, saved: a, current: b });
  };
  if (!allow.includes('accumulationSteps')) diff('accumulationSteps', saved.accumulationSteps, current.accumulationSteps);
  diff('microBatchSize', saved.microBatchSize, current.microBatchSize);
  diff('nonFinite', saved.nonFinite, current.nonFinite);
  diff('optimizer', saved.optimizer, current.optimizer);
  const names = new Set([...Object.keys(saved.params ?? {}), ...Object.keys(current.params)]);
  for (const name of names) {
    const [a, b] = [saved.params?.[name], current.params[name]];
    const field = `params[${JSON.stringify(name)}]`;
    if (a === undefined || b === undefined) out.push({ field, saved: a?.shape, current: b?.shape });
    else {
      if (JSON.stringify(a.shape) !== JSON.stringify(b.shape)) out.push({ field: `${field}.shape`, saved: a.shape, current: b.shape });
      if (a.dtype !== b.dtype) out.push({ field: `${field}.dtype`, saved: a.dtype, current: b.dtype });
    }
  }
  return out;
}
