/** Test fixtures for the model components: transformed-example shards and a tiny transform graph. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Float32, Float64, Int32, makeVector, Table, tableToIPC } from 'apache-arrow';

export type ShardColumns = Record<string, Float32Array | Float64Array | Int32Array>;

/** Writes one Arrow IPC file per entry of `shards` (columns as given) and returns the paths. */
export function writeShards(dir: string, shards: ShardColumns[]): string[] {
  mkdirSync(dir, { recursive: true });
  return shards.map((cols, i) => {
    const vectors = Object.fromEntries(
      Object.entries(cols).map(([k, v]) => [
        k,
        v instanceof Int32Array ? makeVector({ type: new Int32(), data: v }) : v instanceof Float32Array ? makeVector({ type: new Float32(), data: v }) : makeVector({ type: new Float64(), data: v }),
      ]),
    );
    const file = join(dir, `part-${String(i).padStart(5, '0')}.arrow`);
    writeFileSync(file, tableToIPC(new Table(vectors), 'file'));
    return file;
  });
}

/** Splits columns into shards of at most `rowsPerShard` rows. */
export function shardColumns(cols: ShardColumns, rowsPerShard: number): ShardColumns[] {
  const n = Object.values(cols)[0].length;
  const out: ShardColumns[] = [];
  for (let s = 0; s < n; s += rowsPerShard) {
    out.push(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.slice(s, Math.min(n, s + rowsPerShard))])) as ShardColumns);
  }
  return out;
}

/**
 * A TransformGraph artifact by hand: raw x1, x2 (FLOAT), k (INT), label (INT) →
 * x1_xf = 2·x1 (NaN → 0), x2_xf = x2 − 1 (NaN → 0), k_xf = categorical_identity(k, 3), label_xf.
 * No analyzers, so the expected features are easy to compute independently in tests.
 */
export function writeTransformGraph(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'module.mjs'),
    `export function preprocessing_fn(inputs, tft) {
  const x1 = tft.fill_in_missing(inputs.x1, 0);
  const x2 = tft.fill_in_missing(inputs.x2, 1);
  return {
    x1_xf: Float32Array.from(x1, (v) => 2 * v),
    x2_xf: Float32Array.from(x2, (v) => v - 1),
    k_xf: tft.categorical_identity(tft.fill_in_missing(inputs.k, 0), 3),
    label_xf: Float32Array.from(tft.fill_in_missing(inputs.label, 0)),
  };
}
`,
  );
  writeFileSync(
    join(dir, 'transform_graph.json'),
    JSON.stringify({
      formatVersion: 1,
      module: { file: 'module.mjs', exportName: 'preprocessing_fn', sourceHash: 'fixture' },
      analyzers: [],
      rawFeatures: [
        { name: 'x1', type: 'FLOAT' },
        { name: 'x2', type: 'FLOAT' },
        { name: 'k', type: 'INT' },
        { name: 'label', type: 'INT' },
      ],
      outputFeatures: [
        { name: 'x1_xf', dtype: 'float32', kind: 'numeric' },
        { name: 'x2_xf', dtype: 'float32', kind: 'numeric' },
        { name: 'k_xf', dtype: 'int32', kind: 'categorical', vocabularySize: 3 },
        { name: 'label_xf', dtype: 'float32', kind: 'numeric' },
      ],
      label: 'label_xf',
    }),
  );
}

/** The fixture graph's features computed independently of the runtime. */
export function fixtureFeatures(rows: { x1?: number | null; x2?: number | null; k?: number | null }[]) {
  const num = (v: number | null | undefined, d: number) => (v === null || v === undefined ? d : v);
  return {
    x1_xf: Float32Array.from(rows, (r) => 2 * num(r.x1, 0)),
    x2_xf: Float32Array.from(rows, (r) => num(r.x2, 1) - 1),
    k_xf: Int32Array.from(rows, (r) => {
      const k = num(r.k, 0);
      return Number.isInteger(k) && k >= 0 && k < 3 ? k : 0;
    }),
  };
}

/**
 * Inside a describe: its tests run on tfjs's wasm backend (production mode) with `install` — one of
 * our wasm kernel replacements — installed; the backend before it comes back afterwards.
 */
export function onWasmWith(install: () => void): void {
  const previous = tf.getBackend();
  before(async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('wasm');
    await tf.ready();
    install();
  });
  after(async () => {
    if (previous) await tf.setBackend(previous);
  });
}
