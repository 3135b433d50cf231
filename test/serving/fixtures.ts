/**
 * Tiny hand-built serving bundles for the evaluator, pusher, infra-validator and server tests:
 * a logistic model p = sigmoid(w·x + b) over raw numeric features, whose predictions the tests
 * compute independently with Math.exp.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { saveBundle } from '../../runtime/src/ml/bundle.ts';

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export interface LogisticSpec {
  features: string[];
  weights: number[];
  bias: number;
  label?: string;
}

/**
 * A transform graph: each raw FLOAT feature f → f_xf = f (missing → 0), raw INT label → label_xf.
 * No analyzers, so transformed values equal the raw ones and tests can predict by hand.
 */
export function writeIdentityTransform(dir: string, features: string[], label = 'label'): string {
  mkdirSync(dir, { recursive: true });
  const outputs = features.map((f) => `    ${f}_xf: Float32Array.from(tft.fill_in_missing(inputs.${f}, 0)),`).join('\n');
  writeFileSync(
    join(dir, 'module.mjs'),
    `export function preprocessing_fn(inputs, tft) {\n  return {\n${outputs}\n    ${label}_xf: Float32Array.from(inputs.${label}),\n  };\n}\n`,
  );
  writeFileSync(
    join(dir, 'transform_graph.json'),
    JSON.stringify({
      formatVersion: 1,
      module: { file: 'module.mjs', exportName: 'preprocessing_fn', sourceHash: 'fixture' },
      analyzers: [],
      rawFeatures: [...features.map((name) => ({ name, type: 'FLOAT' })), { name: label, type: 'INT' }],
      outputFeatures: [...features, label].map((f) => ({ name: `${f}_xf`, dtype: 'float32', kind: 'numeric' })),
      label: `${label}_xf`,
    }),
  );
  return dir;
}

/** A serving bundle (saveBundle, ML-B's one writer) of p = sigmoid(w·x + b) over raw features. */
export async function writeLogisticBundle(dir: string, spec: LogisticSpec): Promise<string> {
  await tf.setBackend('cpu');
  const inputs = spec.features.map((f) => tf.input({ shape: [1], name: `${f}_xf` }));
  const joined = inputs.length > 1 ? (tf.layers.concatenate().apply(inputs) as tf.SymbolicTensor) : inputs[0];
  const dense = tf.layers.dense({ units: 1, activation: 'sigmoid' });
  const model = tf.model({ inputs, outputs: dense.apply(joined) as tf.SymbolicTensor });
  dense.setWeights([tf.tensor2d(spec.weights, [spec.features.length, 1]), tf.tensor1d([spec.bias])]);
  const transformDir = writeIdentityTransform(`${dir}.transform`, spec.features, spec.label ?? 'label');
  await saveBundle(dir, {
    model,
    transformGraphDir: transformDir,
    info: { task: 'binary', label: `${spec.label ?? 'label'}_xf`, rawFeatures: [], backend: 'cpu', trainMetrics: {} },
  });
  rmSync(transformDir, { recursive: true, force: true });
  model.dispose();
  // rawFeatures as the transform graph records them.
  const infoFile = join(dir, 'bundle.json');
  const info = JSON.parse(readFileSync(infoFile, 'utf8'));
  info.rawFeatures = JSON.parse(readFileSync(join(dir, 'transform', 'transform_graph.json'), 'utf8')).rawFeatures;
  writeFileSync(infoFile, JSON.stringify(info, null, 2));
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
