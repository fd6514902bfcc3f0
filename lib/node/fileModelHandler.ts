import * as tf from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../errors/CheckpointError.js';
import { DTYPE_BYTES, isSafeName } from '../checkpoint/internal/format.js';

const MAX_MODEL_JSON = 64 * 1024 * 1024;

/**
 * A TensorFlow.js `IOHandler` for the file system, which plain `@tensorflow/tfjs` lacks in Node (only
 * tfjs-node has one): `model.save(fileModelHandler('out/model'))` writes `model.json` (topology and
 * `weightsManifest`) and `weights.bin`, the layout `tf.loadLayersModel` and the tensorflowjs converter read;
 * `tf.loadLayersModel(fileModelHandler('out/model/model.json'))` reads them back.
 *
 * Each file is written to a temporary name and renamed into place. Reading checks that the weights' paths
 * are plain names in the model's directory and that their sizes match the manifest before reading them.
 *
 * ## Example
 * ```ts
 * import { fileModelHandler } from 'gradstream/node';
 * await layersModel.save(fileModelHandler('runs/mnist/model'));
 * const again = await tf.loadLayersModel(fileModelHandler('runs/mnist/model/model.json'));
 * ```
 *
 * @param path a directory (saving) or its `model.json` (loading; a directory means its `model.json`)
 * @returns an IOHandler with `save` and `load`
 * @see useFileModels, to open `file://` URLs with `tf.loadLayersModel`
 */
export function fileModelHandler(path: string): tf.io.IOHandler {
  const dir = path.endsWith('.json') ? dirname(path) : path;
  const modelJson = path.endsWith('.json') ? basename(path) : 'model.json';
  return {
    save: async (artifacts) => {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('fileModelHandler: binary model topologies are not supported');
      await mkdir(dir, { recursive: true });
      const specs = artifacts.weightSpecs ?? [];
      const weights = artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.concatenateArrayBuffers([artifacts.weightData].flat()));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
        weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      };
      await replace(join(dir, 'weights.bin'), weights);
      await replace(join(dir, modelJson), new TextEncoder().encode(JSON.stringify(json)));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: weights.buffer as ArrayBuffer }) };
    },
    load: async () => {
      const file = join(dir, modelJson);
      const size = (await stat(file)).size;
      if (size > MAX_MODEL_JSON) throw new CheckpointError('', file, `${size} bytes is more than the ${MAX_MODEL_JSON} allowed`, size);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(file, 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw new CheckpointError('', file, `is not valid JSON (${(error as Error).message})`, file);
      }
      if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null)
        throw new CheckpointError('', file, 'has no modelTopology: not a tfjs Layers model.json', file);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const paths: string[] = [];
      for (const group of json.weightsManifest ?? []) {
        for (const p of group.paths) {
          if (!isSafeName(p)) throw new CheckpointError('', file, `weights path ${JSON.stringify(p)} is not a plain file name`, p);
          paths.push(join(dir, p));
        }
        specs.push(...group.weights);
      }
      // Sizes before contents: a manifest naming a huge file must not have it read into memory.
      const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
      const needed = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[s.dtype] ?? Number.NaN), 0);
      const have = sizes.reduce((sum, n) => sum + n, 0);
      if (needed !== have) throw new CheckpointError('', file, `the weights hold ${have} bytes, the manifest describes ${needed}`, have);
      const data = new Uint8Array(have);
      let offset = 0;
      for (const p of paths) {
        const shard = await readFile(p);
        if (offset + shard.byteLength > have) throw new CheckpointError('', file, `weights file ${JSON.stringify(p)} grew while being read`, p);
        data.set(shard, offset);
        offset += shard.byteLength;
      }
      return tf.io.getModelArtifactsForJSON(json, async () => [specs, data.buffer]);
    },
  };
}

async function replace(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, bytes, { flush: true });
  await rename(tmp, path);
}
