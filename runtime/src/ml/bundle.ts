/**
 * The serving bundle: THE one place that knows its layout.
 *
 *   <dir>/model.json      tfjs LayersModel topology + weightsManifest (the tfjs-node `file://` layout)
 *   <dir>/weights.bin     all weights, concatenated in manifest order
 *   <dir>/transform/      a copy of the TransformGraph artifact (transform_graph.json, module.mjs)
 *   <dir>/bundle.json     BundleInfo: task, label, classes, model input order, raw features, backend
 *
 * `loadBundle(dir).predict(rawRows)` applies the transform graph to raw rows (the very function
 * Transform applied to the training data) and then the model, so serving sees training features.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FeatureType } from '../formats/examples.ts';
import { isUserError, UserError } from '../core/errors.ts';
import type { RawColumns, TransformedColumns, TransformGraph } from './api.ts';
import { loadTransformGraph } from './transform-graph.ts';
// Registers the runtime's custom layers so models using them deserialize.
import './layers.ts';

export const BUNDLE_INFO_FILE = 'bundle.json';
export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const BUNDLE_TRANSFORM_DIR = 'transform';

export type ModelTask = 'binary' | 'multiclass' | 'regression';

export interface BundleInfo {
  formatVersion: 1;
  task: ModelTask;
  /** The label's (transformed) feature name. */
  label: string;
  /** Multiclass: class names by class id. Binary: optionally [negative, positive]. */
  classes?: string[];
  /** Transformed features in the model's input order. */
  inputFeatures: string[];
  /** Raw features a request may carry (from the transform graph). */
  /** `list`: a list feature (a request sends an array of values). */
  rawFeatures: { name: string; type: FeatureType; list?: boolean }[];
  /** Raw features that only feed the label (requests may leave them out); see labelRawFeatures. */
  labelFeatures?: string[];
  /** Backend the model was trained on (tfjs-node-gpu, webgpu, wasm, cpu). */
  backend: string;
  createdAt: string;
  trainMetrics: Record<string, number>;
}

/**
 * Raw features that only make the label, so a serving request need not carry them: `labelFeatures`
 * when the bundle records it, else TFX's naming convention: the raw feature the label is named
 * after (`tips` for `tips_xf`, or the label itself).
 */
export function labelRawFeatures(info: Pick<BundleInfo, 'label' | 'rawFeatures' | 'labelFeatures'>): string[] {
  return info.labelFeatures ?? info.rawFeatures.filter((f) => f.name === info.label || `${f.name}_xf` === info.label).map((f) => f.name);
}

/** Binary/regression: one number per row (positive-class probability / value); multiclass: class probabilities per row. */
export type Predictions = number[] | number[][];

export interface LoadedBundle {
  dir: string;
  info: BundleInfo;
  model: tf.LayersModel;
  transformGraph: TransformGraph;
  /** Raw request rows (`{ fare: 12.5, company: 'Flash Cab' }`) → predictions. */
  predict(rawRows: Record<string, unknown>[]): Predictions;
  /** Raw columns (training layout) → predictions, for batch scoring of whole shards. */
  predictColumns(raw: RawColumns): Predictions;
  /** Already transformed columns → predictions. */
  predictTransformed(columns: TransformedColumns): Predictions;
  dispose(): void;
}

export interface SaveBundleOptions {
  model: tf.LayersModel;
  /** The TransformGraph artifact's directory, copied into the bundle. */
  transformGraphDir: string;
  info: Omit<BundleInfo, 'formatVersion' | 'createdAt' | 'inputFeatures'> & { inputFeatures?: string[]; createdAt?: string };
}

/** Writes model + weights (tfjs layout), the transform graph copy and bundle.json into `dir`. */
export async function saveBundle(dir: string, options: SaveBundleOptions): Promise<BundleInfo> {
  const { model } = options;
  mkdirSync(dir, { recursive: true });
  const inputFeatures = options.info.inputFeatures ?? model.inputNames;
  const missing = model.inputNames.filter((n) => !inputFeatures.includes(n));
  if (missing.length) throw new UserError(`The model's inputs ${missing.join(', ')} are not transformed features (${inputFeatures.join(', ')})`);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        trainingConfig: artifacts.trainingConfig,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, MODEL_JSON_FILE), JSON.stringify(modelJson));
      const data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(data));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  cpSync(options.transformGraphDir, join(dir, BUNDLE_TRANSFORM_DIR), { recursive: true });
  const info: BundleInfo = {
    formatVersion: 1,
    ...options.info,
    // The model's own order wins: that is what predict feeds.
    inputFeatures: model.inputNames,
    createdAt: options.info.createdAt ?? new Date().toISOString(),
  };
  writeFileSync(join(dir, BUNDLE_INFO_FILE), JSON.stringify(info, null, 2));
  return info;
}

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new UserError(`Not a model bundle: ${what} ${file} is missing`, { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`Cannot read ${what} ${file}: ${(e as Error).message}`, { file });
  }
}

/** A tfjs IOHandler reading the bundle's model.json and weight files from disk. */
export function fileModelHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = readJson<tf.io.ModelJSON>(join(dir, MODEL_JSON_FILE), 'model file');
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = join(dir, p);
            if (!existsSync(file)) throw new UserError(`Model weights ${file} are missing`, { file });
            buffers.push(readFileSync(file));
          }
        }
        const total = buffers.reduce((n, b) => n + b.byteLength, 0);
        const joined = new Uint8Array(total);
        let at = 0;
        for (const b of buffers) {
          joined.set(b, at);
          at += b.byteLength;
        }
        return [specs, joined.buffer];
      });
    },
  };
}

export interface LoadBundleOptions {
  /** Use this already loaded transform graph instead of the bundle's copy (tests). */
  transformGraph?: TransformGraph;
}

/** A bundle's bundle.json alone: what a planner needs without loading the model. */
export function readBundleInfo(dir: string): BundleInfo {
  const info = readJson<BundleInfo>(join(dir, BUNDLE_INFO_FILE), 'bundle info');
  if (info.formatVersion !== 1) throw new UserError(`Unsupported bundle formatVersion ${String(info.formatVersion)} in ${dir}`, { file: dir });
  return info;
}

/** Loads a bundle written by saveBundle. Predictions run on the currently active tfjs backend. */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  // Serving runs on whatever backend is active (cpu unless one was selected); PROD keeps the cpu
  // backend's "install tfjs-node" banner out of server and Evaluator output.
  tf.env().set('PROD', true);
  const info = readBundleInfo(dir);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileModelHandler(dir));
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError(`Cannot load the model in ${dir}: ${(e as Error).message}`, { file: join(dir, MODEL_JSON_FILE) });
  }
  const transformGraph = options.transformGraph ?? (await loadTransformGraph(join(dir, BUNDLE_TRANSFORM_DIR)));
  const multiOutput = info.task === 'multiclass';
  const outputNames = model.outputs.map((o) => o.name);
  // Every input takes one column ([rows, 1]), as the feeds below: then the graph can run on them
  // directly; a model with other input shapes goes through predict, which checks them.
  const columnInputs = model.inputs.every((i) => i.shape.length === 2 && i.shape[1] === 1);

  const predictTransformed = (columns: TransformedColumns): Predictions => {
    const inputs = model.inputNames.map((name) => {
      const col = columns[name];
      if (!col) throw new UserError(`The transform graph did not produce the model input "${name}"`);
      return col;
    });
    const n = inputs.length ? inputs[0].length : 0;
    if (n === 0) return [];
    const out = tf.tidy(() => {
      const xs = inputs.map((col) => (col instanceof Int32Array ? tf.tensor2d(col, [n, 1], 'int32') : tf.tensor2d(col instanceof Float32Array ? col : Float32Array.from(col), [n, 1], 'float32')));
      // The graph once over the caller's whole batch (inference mode, as predict runs it).
      // predict would first slice every input into batches (32 rows by default) and concatenate
      // the outputs: per input a copy and a kernel dispatch, which for one row cost more than
      // the model's arithmetic.
      const feed = xs.length === 1 ? xs[0] : xs;
      const y = (columnInputs ? model.execute(feed, outputNames[0]) : model.predict(feed, { batchSize: n })) as tf.Tensor;
      return y.reshape([n, -1]);
    });
    const width = out.shape[1]!;
    const values = out.dataSync() as Float32Array;
    out.dispose();
    if (!multiOutput && width === 1) return Array.from(values);
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(values.subarray(i * width, (i + 1) * width)));
    return rows;
  };

  return {
    dir,
    info,
    model,
    transformGraph,
    predict: (rawRows) => predictTransformed(transformGraph.applyToRows(rawRows)),
    predictColumns: (raw) => predictTransformed(transformGraph.apply(raw)),
    predictTransformed,
    dispose: () => model.dispose(),
  };
}
