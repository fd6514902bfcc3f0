import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Saves a Layers model as tfjs does on disk (model.json + weights.bin) into a new temporary folder, and
 * returns the path of model.json. `edit` may change the manifest before it is written.
 */
export async function saveModel(model: tf.LayersModel, edit: (json: Record<string, unknown>) => void = () => {}): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), 'gs-model-'));
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json: Record<string, unknown> = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      edit(json);
      writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
      writeFileSync(join(folder, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(folder, 'model.json');
}
