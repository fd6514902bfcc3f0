import { disposeTree } from '../../internal/tensorMaps.js';
import type { WindowSample } from './windowTypes.js';

/** Frees a gradient sample's tensors: its gradients and its loss (a second dispose is harmless). */
export function disposeSample(sample: WindowSample): void {
  disposeTree(sample.grads);
  sample.loss?.dispose();
}
