import type * as tf from '@tensorflow/tfjs';

/** A layer of a Layers model and its path from the top: the names of the models it is nested in, then its own. */
export interface PlacedLayer {
  readonly layer: tf.layers.Layer;
  readonly path: ReadonlyArray<string>;
}

/** A layer that holds layers: a nested Sequential or functional model. */
const isContainer = (layer: unknown): layer is { readonly layers: ReadonlyArray<tf.layers.Layer> } =>
  Array.isArray((layer as { layers?: unknown }).layers);

/**
 * Every layer of `model` that is not itself a model, at any depth of nesting, in the order the models
 * list them (depth first), with its path. A layer that appears in several places (a shared nested
 * model) is listed once, at its first place.
 */
export function leafLayers(model: tf.LayersModel): ReadonlyArray<PlacedLayer> {
  const out: PlacedLayer[] = [];
  const seen = new Set<tf.layers.Layer>();
  const walk = (layers: ReadonlyArray<tf.layers.Layer>, prefix: ReadonlyArray<string>): void => {
    for (const layer of layers) {
      if (seen.has(layer)) continue;
      seen.add(layer);
      const path = [...prefix, layer.name];
      if (isContainer(layer)) walk(layer.layers, path);
      else out.push({ layer, path });
    }
  };
  walk(model.layers, []);
  return out;
}

/**
 * Every non-null option of a layer's configuration whose key ends with `suffix` (`Regularizer`,
 * `Constraint`), also inside the layers a wrapper holds (Bidirectional, TimeDistributed), each with the
 * path of layer names that leads to it.
 */
export function configEntries(placed: PlacedLayer, suffix: string): ReadonlyArray<{ readonly path: string; readonly key: string; readonly value: unknown }> {
  const out: { path: string; key: string; value: unknown }[] = [];
  const walk = (config: unknown, path: ReadonlyArray<string>): void => {
    if (config === null || typeof config !== 'object') return;
    if (Array.isArray(config)) return config.forEach((c) => walk(c, path));
    const record = config as Record<string, unknown>;
    // A wrapped layer's config is `{ className, config: { name, ... } }`: its name extends the path.
    const inner = record['config'];
    if (typeof record['className'] === 'string' && inner !== null && typeof inner === 'object') {
      const name = (inner as Record<string, unknown>)['name'];
      return walk(inner, typeof name === 'string' ? [...path, name] : path);
    }
    for (const [key, value] of Object.entries(record)) {
      if (key.endsWith(suffix)) {
        if (value !== null && value !== undefined) out.push({ path: path.join('/'), key, value });
      } else walk(value, path);
    }
  };
  walk(placed.layer.getConfig(), placed.path);
  return out;
}
