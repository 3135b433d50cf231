/**
 * How the server, Evaluator, InfraValidator and BulkInferrer open a serving bundle: through this
 * one module, so they all predict with exactly the same code.
 *
 * INTERIM: until runtime/src/ml/bundle.ts (loadBundle) lands, this reads the bundle layout of the
 * ML contracts itself (bundle.json + tfjs model.json/weights.bin) and feeds the model's
 * `inputFeatures` straight from the raw rows (identity transform). It is replaced by a re-export
 * of loadBundle as soon as that exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../registry/types.ts';
import type { FeatureType } from '../formats/examples.ts';

export type Task = 'binary' | 'multiclass' | 'regression';

/** `<bundle>/bundle.json` (ML contracts). */
export interface BundleInfo {
  formatVersion: 1;
  task: Task;
  label: string;
  classes?: string[];
  inputFeatures: string[];
  rawFeatures: { name: string; type: FeatureType }[];
  backend?: string;
  createdAt?: string;
  trainMetrics?: Record<string, number>;
}

export type Predictions = number[] | number[][];

export interface ServableModel {
  info: BundleInfo;
  /** Raw feature rows in, one prediction per row (binary/regression: number; multiclass: probabilities). */
  predict(rows: Record<string, unknown>[]): Promise<Predictions>;
  dispose(): void;
}

export function readBundleInfo(dir: string): BundleInfo {
  const file = join(dir, 'bundle.json');
  if (!existsSync(file)) throw new UserError(`Not a serving bundle: ${file} is missing`, { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BundleInfo;
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`, { file });
  }
}

export async function openModel(dir: string): Promise<ServableModel> {
  const info = readBundleInfo(dir);
  const modelFile = join(dir, 'model.json');
  let model: tf.LayersModel;
  try {
    const json = JSON.parse(readFileSync(modelFile, 'utf8'));
    const handler: tf.io.IOHandler = {
      load: () =>
        tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const buffers = manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
          const weightData = Buffer.concat(buffers);
          const specs = manifest.flatMap((g) => g.weights);
          return [specs, weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength)];
        }),
    };
    model = await tf.loadLayersModel(handler);
  } catch (e) {
    throw new UserError(`Cannot load the model in ${dir}: ${(e as Error).message}`, { file: modelFile });
  }
  return {
    info,
    async predict(rows) {
      const n = rows.length;
      const columns = info.inputFeatures.map((name) => {
        const col = new Float32Array(n);
        for (let i = 0; i < n; i++) col[i] = Number(rows[i][name] ?? NaN);
        return col;
      });
      const inputs =
        model.inputs.length > 1
          ? columns.map((c) => tf.tensor2d(c, [n, 1]))
          : [tf.tensor2d(interleave(columns, n), [n, columns.length])];
      const output = model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor;
      const values = (await output.array()) as number[][];
      tf.dispose([...inputs, output]);
      return info.task === 'multiclass' ? values : values.map((r) => r[0]);
    },
    dispose: () => model.dispose(),
  };
}

function interleave(columns: Float32Array[], n: number): Float32Array {
  const out = new Float32Array(n * columns.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < columns.length; j++) out[i * columns.length + j] = columns[j][i];
  return out;
}
