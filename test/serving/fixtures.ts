/**
 * Tiny hand-built serving bundles for the evaluator, pusher, infra-validator and server tests:
 * a logistic model p = sigmoid(w·x + b) over raw numeric features, whose predictions the tests
 * compute independently with Math.exp.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export interface LogisticSpec {
  features: string[];
  weights: number[];
  bias: number;
  label?: string;
}

/** Writes `<dir>/model.json`, `weights.bin` and `bundle.json`; returns dir. */
export async function writeLogisticBundle(dir: string, spec: LogisticSpec): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [spec.features.length] })],
  });
  model.setWeights([tf.tensor2d(spec.weights, [spec.features.length, 1]), tf.tensor1d([spec.bias])]);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData!);
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(weightData));
      writeFileSync(
        join(dir, 'model.json'),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: 'layers-model',
          weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  writeFileSync(
    join(dir, 'bundle.json'),
    JSON.stringify({
      formatVersion: 1,
      task: 'binary',
      label: spec.label ?? 'label',
      inputFeatures: spec.features,
      rawFeatures: spec.features.map((name) => ({ name, type: 'FLOAT' })),
      backend: 'cpu',
      createdAt: new Date().toISOString(),
    }),
  );
  return dir;
}

/** A Model artifact folder (`<uri>/bundle/`) around a logistic bundle. */
export async function writeModelArtifact(uri: string, spec: LogisticSpec): Promise<string> {
  await writeLogisticBundle(join(uri, 'bundle'), spec);
  return uri;
}

/** An Examples artifact with one split of numeric columns (Arrow IPC file, the Examples layout). */
export function writeExamples(uri: string, split: string, columns: Record<string, Float64Array | Int32Array | string[]>): string {
  const dir = join(uri, `Split-${split}`);
  mkdirSync(dir, { recursive: true });
  const table = tableFromArrays(columns as Record<string, Float64Array | Int32Array | string[]>);
  writeFileSync(join(dir, 'part-00000.arrow'), tableToIPC(table, 'file'));
  return uri;
}

/** Deterministic rows: label = [2·x1 − x2 + noise > 0], hour = i mod 4. */
export function taxiLikeColumns(n: number): { x1: Float64Array; x2: Float64Array; label: Int32Array; hour: Int32Array } {
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const label = new Int32Array(n);
  const hour = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = ((i * 37) % 100) / 50 - 1;
    x2[i] = ((i * 53) % 100) / 50 - 1;
    label[i] = 2 * x1[i] - x2[i] + 0.8 * Math.sin(i) > 0 ? 1 : 0;
    hour[i] = i % 4;
  }
  return { x1, x2, label, hour };
}
