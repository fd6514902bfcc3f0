import * as tf from '@tensorflow/tfjs';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { CliError } from './CliError.js';

/** The largest model.json read, and the largest total of weight files: anything bigger is refused unread. */
export const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;
export const MAX_WEIGHT_BYTES = 1024 * 1024 * 1024;

const FN = 'gradstream verify';

const BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

type Entry = { name: unknown; shape: unknown; dtype: unknown; quantization?: { dtype?: unknown } };
type Group = { paths: unknown; weights: unknown };

/**
 * A tfjs IO handler that loads a Layers model saved as `model.json` plus weight files, from disk, in Node
 * (what `tf.loadLayersModel('file://…')` does with tfjs-node, which gradstream does not need).
 *
 * Everything in the files is untrusted: model.json is refused above {@link MAX_MODEL_JSON_BYTES}; every
 * weight path must be relative, stay inside model.json's folder (no `..`, no absolute path) and name a
 * file whose size is exactly what the manifest's shapes and dtypes say, all checked before any weight
 * byte is read or any buffer allocated. Failures are {@link CliError}s (exit 2) naming the file.
 *
 * ## Example
 * ```ts
 * const layers = await tf.loadLayersModel(modelFileHandler('saved/model.json'));
 * ```
 *
 * @param modelPath the path of model.json
 * @returns the handler
 */
export function modelFileHandler(modelPath: string): tf.io.IOHandler {
  return { load: async () => load(modelPath) };
}

const fail = (message: string, input: unknown): never => {
  throw new CliError(`${FN}: ${message}`, '--model', input);
};

function sizeOf(path: string, what: string): number {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) fail(`${what} ${path} is not a file`, path);
    return stat.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    return fail(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, path);
  }
}

function readExactly(path: string, bytes: number, into: Uint8Array, offset: number): void {
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < bytes) {
      const n = readSync(fd, into, offset + done, bytes - done, done);
      if (n === 0) fail(`${path} ended after ${done} of its ${bytes} bytes`, path);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

function load(modelPath: string): tf.io.ModelArtifacts {
  const size = sizeOf(modelPath, 'the model file');
  if (size > MAX_MODEL_JSON_BYTES) fail(`the model file ${modelPath} has ${size} bytes, more than the ${MAX_MODEL_JSON_BYTES} accepted`, size);
  const text = new Uint8Array(size);
  readExactly(modelPath, size, text, 0);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(text));
  } catch (error) {
    fail(`the model file ${modelPath} is not valid JSON (${(error as Error).message})`, modelPath);
  }
  const model = json as { modelTopology?: unknown; weightsManifest?: unknown; format?: unknown };
  if (typeof model !== 'object' || model === null || typeof model.modelTopology !== 'object' || model.modelTopology === null)
    fail(`the model file ${modelPath} has no modelTopology: not a tfjs Layers model.json`, modelPath);
  if (!Array.isArray(model.weightsManifest)) fail(`the model file ${modelPath} has no weightsManifest array`, modelPath);

  const folder = dirname(resolve(modelPath));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const files: Array<{ path: string; bytes: number }> = [];
  let total = 0;
  for (const [g, group] of (model.weightsManifest as Group[]).entries()) {
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      fail(`weightsManifest[${g}] of ${modelPath} needs paths and weights arrays`, group);
    let expected = 0;
    for (const entry of group.weights as Entry[]) {
      const dtype = entry?.quantization?.dtype ?? entry?.dtype;
      const shape = entry?.shape;
      if (typeof entry?.name !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
        fail(`weightsManifest[${g}] of ${modelPath} has a weight without a name and a shape of integers`, entry);
      const width = typeof dtype === 'string' ? BYTES[dtype] : undefined;
      if (width === undefined) fail(`weight ${String(entry.name)} of ${modelPath} has dtype ${String(dtype)}, not one of ${Object.keys(BYTES).join(', ')}`, dtype);
      expected += (shape as number[]).reduce((a, b) => a * b, 1) * (width as number);
      specs.push(entry as tf.io.WeightsManifestEntry);
    }
    let actual = 0;
    for (const p of group.paths as unknown[]) {
      const path = checkedPath(p, folder, modelPath);
      const bytes = sizeOf(path, 'the weight file');
      actual += bytes;
      files.push({ path, bytes });
    }
    if (actual !== expected)
      fail(`weightsManifest[${g}] of ${modelPath} describes ${expected} bytes of weights but its files hold ${actual}`, { expected, actual });
    total += actual;
    if (total > MAX_WEIGHT_BYTES) fail(`the weights of ${modelPath} exceed the ${MAX_WEIGHT_BYTES} bytes accepted`, total);
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const { path, bytes } of files) {
    readExactly(path, bytes, data, offset);
    offset += bytes;
  }
  return { modelTopology: model.modelTopology as tf.io.ModelArtifacts['modelTopology'], weightSpecs: specs, weightData: data.buffer, format: 'layers-model' };
}

/** A weight path from the manifest: relative, inside the model's folder once resolved. */
function checkedPath(path: unknown, folder: string, modelPath: string): string {
  if (typeof path !== 'string' || path === '') return fail(`a weight path of ${modelPath} is not a non-empty string: ${String(path)}`, path);
  const segments = path.split(/[\\/]/);
  if (isAbsolute(path) || /^[a-zA-Z]:/.test(path) || segments.includes('..'))
    fail(`the weight path ${JSON.stringify(path)} in ${modelPath} must be relative to its folder, without '..'`, path);
  const full = resolve(folder, path);
  const inside = relative(folder, full);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
    fail(`the weight path ${JSON.stringify(path)} in ${modelPath} leaves the model's folder`, path);
  return full;
}
