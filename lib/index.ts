// gradstream's public surface: named re-exports only.

export type { Params, Schedule, LearningRate, GradientTransformation } from './optim/types.js';

export { GradstreamError } from './errors/GradstreamError.js';
export { ConfigError } from './errors/ConfigError.js';
export { ParamMismatchError } from './errors/ParamMismatchError.js';
