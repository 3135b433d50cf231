/**
 * The TransformGraph artifact: the analyzer results plus a self-contained copy of the compiled
 * preprocessing module, so the exact training-time transform can be re-applied anywhere
 * (Trainer eval, Evaluator, InfraValidator, BulkInferrer, the server).
 *
 *   <uri>/transform_graph.json   TransformGraphJson (api.ts)
 *   <uri>/module.mjs             the compiled module (npm imports external)
 *
 * Training (Transform's apply pass) and serving both go through `runPreprocessing`, so a raw row
 * gives bit-identical features in both places.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';

import type {
  AnalyzerRecord,
  OutputFeature,
  PreprocessingFn,
  RawColumns,
  TransformedColumns,
  TransformGraph,
  TransformGraphJson,
} from './api.ts';
import { categoricalSizes, createAnalyzers, type PartialRecord } from './analyzers.ts';
import { importUserExport, userCodeError } from './user-module.ts';
import { columnRows, isListColumn } from './list-analyzers.ts';

export const TRANSFORM_GRAPH_FILE = 'transform_graph.json';
export const TRANSFORM_MODULE_FILE = 'module.mjs';

export type RawFeature = TransformGraphJson['rawFeatures'][number];

/** A transformed output as one batch saw it; the executor merges these into `OutputFeature`s. */
export interface OutputDescription {
  name: string;
  dtype: 'float32' | 'int32';
  /** Categorical: the size the helper declared; undefined when the user built the ids themselves. */
  declaredSize?: number;
  /** Categorical: the largest id in this batch (-1 when empty). */
  maxId?: number;
}

/** Outputs as Float32Array (numeric) or Int32Array (categorical), checked for length and type. */
function normalizeOutputs(outputs: unknown, rows: number): { columns: TransformedColumns; described: OutputDescription[] } {
  if (!outputs || typeof outputs !== 'object' || Array.isArray(outputs)) {
    throw new UserError(`preprocessing_fn must return an object of columns ({ name: Float32Array | Int32Array }), got ${Array.isArray(outputs) ? 'an array' : typeof outputs}`);
  }
  const columns: TransformedColumns = {};
  const described: OutputDescription[] = [];
  for (const [name, value] of Object.entries(outputs as Record<string, unknown>)) {
    let column: Float32Array | Int32Array;
    if (value instanceof Float32Array || value instanceof Int32Array) column = value;
    else if (value instanceof Float64Array) column = Float32Array.from(value);
    else if (isListColumn(value)) {
      throw new UserError(
        `preprocessing_fn output "${name}" is a list column: a model input has one value per row, so reduce it with tft.list_length, tft.list_reduce or tft.to_dense`,
      );
    } else {
      throw new UserError(
        `preprocessing_fn output "${name}" must be a Float32Array (numeric) or an Int32Array (categorical ids), got ${value === null ? 'null' : ArrayBuffer.isView(value) ? value.constructor.name : Array.isArray(value) ? 'an array' : typeof value}`,
      );
    }
    if (column.length !== rows) throw new UserError(`preprocessing_fn output "${name}" has ${column.length} values for ${rows} input rows`);
    columns[name] = column;
    if (column instanceof Int32Array) {
      let maxId = -1;
      for (let i = 0; i < column.length; i++) if (column[i] > maxId) maxId = column[i];
      described.push({ name, dtype: 'int32', declaredSize: categoricalSizes.get(column), maxId });
    } else {
      described.push({ name, dtype: 'float32' });
    }
  }
  return { columns, described };
}

function rowCount(columns: RawColumns): number {
  const first = Object.values(columns)[0];
  return first ? columnRows(first) : 0;
}

/** Accumulate mode: runs the function for its analyzer calls; outputs are discarded. */
export function accumulateAnalyzers(fn: PreprocessingFn, columns: RawColumns): PartialRecord[] {
  const session = createAnalyzers({ mode: 'accumulate', partials: [] });
  try {
    fn(columns, session.tft);
  } catch (e) {
    throw userCodeError(e, 'preprocessing_fn threw');
  }
  return session.partials();
}

/** Apply mode: the transformed columns of `columns` with the recorded analyzer results. */
export function runPreprocessing(
  fn: PreprocessingFn,
  analyzers: AnalyzerRecord[],
  columns: RawColumns,
): { columns: TransformedColumns; described: OutputDescription[] } {
  const session = createAnalyzers({ mode: 'apply', results: analyzers });
  let outputs: unknown;
  try {
    outputs = fn(columns, session.tft);
  } catch (e) {
    throw userCodeError(e, 'preprocessing_fn threw');
  }
  session.finish();
  return normalizeOutputs(outputs, rowCount(columns));
}

/** Raw columns for every raw feature: absent ones all-missing, present ones type-checked. */
export function completeColumns(rawFeatures: RawFeature[], columns: RawColumns): RawColumns {
  const lengths = Object.values(columns).map(columnRows);
  const rows = lengths[0] ?? 0;
  if (lengths.some((n) => n !== rows)) throw new UserError(`Raw columns have different lengths (${[...new Set(lengths)].join(', ')})`);
  const out: RawColumns = {};
  for (const f of rawFeatures) {
    const c = columns[f.name];
    if (f.list) {
      if (c === undefined) out[f.name] = emptyLists(f, rows);
      else if (isListColumn(c) && (f.type === 'STRING' ? Array.isArray(c.values) : c.values instanceof Float64Array)) out[f.name] = c;
      else throw new UserError(`Raw feature "${f.name}" is a ${f.type} list feature: expected { values: ${f.type === 'STRING' ? 'string[]' : 'Float64Array'}, row_splits: Int32Array }`, { field: f.name });
    } else if (f.type === 'STRING') {
      if (c === undefined) out[f.name] = new Array<string | null>(rows).fill(null);
      else if (Array.isArray(c)) out[f.name] = c;
      else throw new UserError(`Raw feature "${f.name}" is a STRING feature: expected an array of strings or nulls, got ${c.constructor.name}`, { field: f.name });
    } else {
      if (c === undefined) out[f.name] = new Float64Array(rows).fill(NaN);
      else if (c instanceof Float64Array) out[f.name] = c;
      else throw new UserError(`Raw feature "${f.name}" is ${f.type}: expected a Float64Array (NaN = missing)`, { field: f.name });
    }
  }
  return out;
}

/**
 * Row objects (a serving request's instances) → raw columns. Numbers may come as JSON numbers or
 * numeric strings; null, undefined and '' are missing. Anything else is a UserError naming the
 * row and feature, so a server can answer 400.
 */
export function rowsToColumns(rawFeatures: RawFeature[], rows: Record<string, unknown>[]): RawColumns {
  const out: RawColumns = {};
  for (const f of rawFeatures) {
    if (f.list) {
      out[f.name] = listFromRows(f, rows);
    } else if (f.type === 'STRING') {
      const col = new Array<string | null>(rows.length);
      rows.forEach((row, i) => {
        const v = row[f.name];
        if (v === null || v === undefined) col[i] = null;
        else if (typeof v === 'string') col[i] = v;
        else if (typeof v === 'number' || typeof v === 'boolean') col[i] = String(v);
        else throw new UserError(`Instance ${i}: feature "${f.name}" must be a string, got ${Array.isArray(v) ? 'an array' : typeof v}`, { field: f.name });
      });
      out[f.name] = col;
    } else {
      const col = new Float64Array(rows.length);
      rows.forEach((row, i) => {
        const v = row[f.name];
        if (v === null || v === undefined || v === '') col[i] = NaN;
        else if (typeof v === 'number') col[i] = v;
        else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) col[i] = Number(v);
        else throw new UserError(`Instance ${i}: feature "${f.name}" must be a number, got ${typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : typeof v}`, { field: f.name });
      });
      out[f.name] = col;
    }
  }
  return out;
}

/** A list column of `rows` empty lists (a list feature absent from a request). */
function emptyLists(f: RawFeature, rows: number): RawColumns[string] {
  const value_count = f.valueCount ? { value_count: f.valueCount } : {};
  const row_splits = new Int32Array(rows + 1);
  return f.type === 'STRING' ? { values: [] as string[], row_splits, ...value_count } : { values: new Float64Array(0), row_splits, ...value_count };
}

/** A list feature of row objects: an array of values, a single value (a list of one), or null/undefined (an empty list). */
function listFromRows(f: RawFeature, rows: Record<string, unknown>[]): RawColumns[string] {
  const row_splits = new Int32Array(rows.length + 1);
  const values: (string | number)[] = [];
  rows.forEach((row, i) => {
    const v = row[f.name];
    const items = v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
    for (const item of items) {
      if (f.type === 'STRING') {
        if (typeof item !== 'string' && typeof item !== 'number') throw new UserError(`Instance ${i}: feature "${f.name}" must be a list of strings, found ${item === null ? 'null' : typeof item}`, { field: f.name });
        values.push(String(item));
      } else {
        const n = typeof item === 'string' && item.trim() !== '' ? Number(item) : item;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw new UserError(`Instance ${i}: feature "${f.name}" must be a list of numbers, found ${JSON.stringify(item) ?? typeof item}`, { field: f.name });
        values.push(n);
      }
    }
    row_splits[i + 1] = values.length;
  });
  const value_count = f.valueCount ? { value_count: f.valueCount } : {};
  return f.type === 'STRING' ? { values: values as string[], row_splits, ...value_count } : { values: Float64Array.from(values as number[]), row_splits, ...value_count };
}

/** Merges per-batch output descriptions (in shard order) into the graph's output features. */
export function mergeOutputDescriptions(batches: OutputDescription[][]): OutputFeature[] {
  const merged = new Map<string, OutputDescription>();
  for (const batch of batches) {
    if (merged.size > 0 && batch.length !== merged.size) {
      throw new UserError(`preprocessing_fn returned different outputs for different shards (${[...merged.keys()].join(', ')} vs ${batch.map((b) => b.name).join(', ')})`);
    }
    for (const d of batch) {
      const m = merged.get(d.name);
      if (!m) {
        merged.set(d.name, { ...d });
        continue;
      }
      if (m.dtype !== d.dtype) throw new UserError(`preprocessing_fn output "${d.name}" is ${m.dtype} for one shard and ${d.dtype} for another`);
      m.maxId = Math.max(m.maxId ?? -1, d.maxId ?? -1);
      if (m.declaredSize !== d.declaredSize) m.declaredSize = Math.max(m.declaredSize ?? 0, d.declaredSize ?? 0) || undefined;
    }
  }
  return [...merged.values()].map((d) =>
    d.dtype === 'float32'
      ? { name: d.name, dtype: 'float32', kind: 'numeric' }
      : { name: d.name, dtype: 'int32', kind: 'categorical', vocabularySize: d.declaredSize ?? (d.maxId ?? -1) + 1 },
  );
}

export function readTransformGraphJson(uri: string): TransformGraphJson {
  const file = join(uri, TRANSFORM_GRAPH_FILE);
  let json: TransformGraphJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as TransformGraphJson;
  } catch (e) {
    throw new UserError(`Cannot read the transform graph ${file}: ${(e as Error).message}`, { file });
  }
  if (json.formatVersion !== 1) throw new UserError(`Unsupported transform graph format version ${String(json.formatVersion)} in ${file}`, { file });
  return json;
}

/** Applies a loaded graph to row objects as in a serving request. */
export function applyTransformToRows(graph: TransformGraph, rows: Record<string, unknown>[]): TransformedColumns {
  return graph.applyToRows(rows);
}

/** Loads `<uri>/transform_graph.json` and imports `<uri>/module.mjs` into this thread. */
export async function loadTransformGraph(uri: string): Promise<TransformGraph> {
  const json = readTransformGraphJson(uri);
  const fn = await importUserExport<PreprocessingFn>(join(uri, json.module.file), json.module.exportName);
  return graphOf(uri, json, fn);
}

/** A graph over an already loaded function (Transform's own workers use it too). */
export function graphOf(uri: string, json: TransformGraphJson, fn: PreprocessingFn): TransformGraph {
  const apply = (columns: RawColumns): TransformedColumns => {
    const { columns: out } = runPreprocessing(fn, json.analyzers, completeColumns(json.rawFeatures, columns));
    const result: TransformedColumns = {};
    for (const f of json.outputFeatures) {
      const c = out[f.name];
      if (!c) throw new UserError(`preprocessing_fn did not return output "${f.name}", which the transform graph records`);
      result[f.name] = c;
    }
    return result;
  };
  return {
    uri,
    json,
    apply,
    applyToRows: (rows) => apply(rowsToColumns(json.rawFeatures, rows)),
  };
}

