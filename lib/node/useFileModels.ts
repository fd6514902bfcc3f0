import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { fileModelHandler } from './fileModelHandler.js';

let registered = false;

/**
 * Lets plain `@tensorflow/tfjs` in Node open and save `file://` URLs, as tfjs-node does:
 * `tf.loadLayersModel('file:///abs/out/model/model.json')` and `model.save('file:///abs/out/model')` then go
 * through {@link fileModelHandler}. Registers the routers once; calling it again does nothing.
 *
 * ## Example
 * ```ts
 * import { useFileModels } from 'gradstream/node';
 * useFileModels();
 * const model = await tf.loadLayersModel(`file://${process.cwd()}/runs/mnist/model/model.json`);
 * ```
 */
export function useFileModels(): void {
  if (registered) return;
  registered = true;
  // tfjs asks every router and keeps those that return a handler; null means "not mine".
  const route = ((url: string | string[]): tf.io.IOHandler | null =>
    typeof url === 'string' && url.startsWith('file://') ? fileModelHandler(fileURLToPath(url)) : null) as Parameters<typeof tf.io.registerLoadRouter>[0];
  tf.io.registerLoadRouter(route);
  tf.io.registerSaveRouter(route);
}
