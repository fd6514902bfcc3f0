// `gradstream/testing`: property-based testing for users. Named re-exports only. Needs fast-check (an
// optional peer dependency of gradstream); the main entry never imports this.

export type { BatchValues, TensorValues, ParamValues, GradientSampleValues, Pipeline, LawOptions } from './types.js';
export { LawViolationError } from './LawViolationError.js';

// Is a model and loss safe to accumulate?
export {
  checkAccumulationSafety,
  type AccumulationSafetyOptions,
  type SafetyReport,
  type ParamDifference,
  type SplitDifference,
} from './checkAccumulationSafety.js';
export type { BatchCoupledLayer } from '../models/types.js';
export { unevenSizes } from './unevenSizes.js';

// Arbitraries: plain values, and the tensors made from them.
export { batchArbitrary, type BatchArbitraryOptions } from './batchArbitrary.js';
export { batchFromValues } from './batchFromValues.js';
export { splitArbitrary, type SplitArbitraryOptions } from './splitArbitrary.js';
export { paramsArbitrary } from './paramsArbitrary.js';
export { paramsFromValues } from './paramsFromValues.js';
export { gradientSampleArbitrary, type GradientSampleArbitraryOptions } from './gradientSampleArbitrary.js';
export { trainOptionsArbitrary, type TrainOptionValues, type TrainOptionsArbitraryOptions } from './trainOptionsArbitrary.js';
export { trainOptionsFromValues } from './trainOptionsFromValues.js';

// Laws a pipeline must keep, and the leak check under them.
export { assertAccumulationLaw, type AccumulationLawOptions } from './assertAccumulationLaw.js';
export { assertScheduleLaw, type ScheduleLawOptions } from './assertScheduleLaw.js';
export { assertNoLeaksLaw, type NoLeaksLawOptions } from './assertNoLeaksLaw.js';
export { assertNoTensorLeaks } from './assertNoTensorLeaks.js';
