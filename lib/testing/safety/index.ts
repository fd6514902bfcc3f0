// `gradstream/testing/safety`: checkAccumulationSafety alone, for projects without fast-check. The
// `gradstream/testing` entry also exports the arbitraries and laws, which import fast-check (an optional
// peer dependency), so importing it needs fast-check installed; this entry's module graph never reaches
// fast-check (test/testing/entry.test.ts). Named re-exports only.

export {
  checkAccumulationSafety,
  type AccumulationSafetyOptions,
  type SafetyReport,
  type ParamDifference,
  type SplitDifference,
} from '../checkAccumulationSafety.js';
export type { BatchCoupledLayer } from '../../models/types.js';
export { unevenSizes } from '../unevenSizes.js';
