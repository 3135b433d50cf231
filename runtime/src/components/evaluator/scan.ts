/**
 * The Evaluator's pool task: one Arrow shard of the eval split in, one set of per-slice metric
 * accumulators out. The shard's raw columns go through the bundle's transform graph once (label
 * and model inputs), predictions run in batches of `batchSize` rows, and every labelled row is
 * added to the overall slice and to its slice of every slicing spec. The models are loaded once
 * per worker thread and kept for the following shards.
 */
import type { Table } from 'apache-arrow';
import { UserError } from '../../core/errors.ts';
import { openModel, type ServableModel, type Task } from '../../serving/model-source.ts';
import type { TransformedColumns } from '../../ml/api.ts';
import type { RawFeature } from '../../ml/transform-graph.ts';
import { useInferenceBackend } from '../../ml/backend.ts';
import { rawColumnsOf, readShardTable } from '../transform/shard-io.ts';
import {
  addBinary,
  addMulticlass,
  addRegression,
  type MetricAcc,
  newBinaryAcc,
  type SlicePartial,
  type SliceValue,
  newMulticlassAcc,
  newRegressionAcc,
} from './accumulators.ts';
import { poisson1, shardRandom } from './bootstrap.ts';
import { encodeLabel } from './evaluate.ts';

export type { SlicePartial, SliceValue } from './accumulators.ts';

export interface EvalScanArgs {
  file: string;
  /** The shard's position in the plan: seeds its bootstrap weights. */
  shard: number;
  candidate: string;
  baseline?: string;
  /** The `label` parameter: a raw column, or '' for the bundle's label feature. */
  label: string;
  task: Task;
  classes?: string[];
  threshold: number;
  resamples: number;
  seed: number;
  /** Slicing specs, [] (overall) first. */
  specs: string[][];
  batchSize: number;
}

export interface EvalPartial {
  rows: number;
  /** Rows without a usable label. */
  dropped: number;
  candidate: SlicePartial[];
  baseline?: SlicePartial[];
}

/** Bundles this thread has loaded, by folder: a worker scans many shards with the same model. */
const loaded = new Map<string, Promise<ServableModel>>();
const MAX_LOADED = 4;

export function cachedModel(dir: string): Promise<ServableModel> {
  let model = loaded.get(dir);
  if (!model) {
    if (loaded.size >= MAX_LOADED) {
      const [oldest, promise] = loaded.entries().next().value as [string, Promise<ServableModel>];
      loaded.delete(oldest);
      void promise.then((m) => m.dispose(), () => undefined);
    }
    model = useInferenceBackend().then(() => openModel(dir));
    loaded.set(dir, model);
    model.catch(() => loaded.delete(dir));
  }
  return model;
}

/** Any column's values as slice keys and raw labels: numbers, strings or null. */
export function columnValues(table: Table, name: string): SliceValue[] | undefined {
  const vector = table.getChild(name);
  if (!vector) return undefined;
  const out = new Array<SliceValue>(table.numRows);
  for (let i = 0; i < out.length; i++) {
    const v = vector.get(i) as unknown;
    out[i] = v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as string | number);
  }
  return out;
}

function unionFeatures(...lists: RawFeature[][]): RawFeature[] {
  const byName = new Map<string, RawFeature>();
  for (const list of lists) for (const f of list) if (!byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

/** Predictions for all rows, `batchSize` rows per predict call. */
export function predictBatched(model: ServableModel, columns: TransformedColumns, rows: number, batchSize: number): (number | number[])[] {
  const out: (number | number[])[] = [];
  for (let start = 0; start < rows; start += batchSize) {
    const end = Math.min(rows, start + batchSize);
    const batch: TransformedColumns = {};
    for (const name of model.model.inputNames) {
      const col = columns[name];
      if (col) batch[name] = col.subarray(start, end);
    }
    for (const p of model.predictTransformed(batch)) out.push(p);
  }
  return out;
}

const keyPart = (v: SliceValue) => (v === null ? 'z' : typeof v === 'number' ? `n${v}` : `s${v}`);

/** Every row's slice of one spec as a small integer, and each slice's values: one lookup per row instead of a key string. */
export function sliceIds(columns: SliceValue[][], rows: number): { ids: Int32Array; values: SliceValue[][] } {
  const ids = new Int32Array(rows);
  const values: SliceValue[][] = [];
  if (columns.length === 0) {
    values.push([]);
    return { ids, values };
  }
  if (columns.length === 1) {
    // Map keys tell 1 from "1" and null from "null", as the key strings do.
    const col = columns[0];
    const byValue = new Map<SliceValue, number>();
    for (let i = 0; i < rows; i++) {
      let id = byValue.get(col[i]);
      if (id === undefined) {
        byValue.set(col[i], (id = values.length));
        values.push([col[i]]);
      }
      ids[i] = id;
    }
    return { ids, values };
  }
  const byKey = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const key = columns.map((c) => keyPart(c[i])).join('\u0000');
    let id = byKey.get(key);
    if (id === undefined) {
      byKey.set(key, (id = values.length));
      values.push(columns.map((c) => c[i]));
    }
    ids[i] = id;
  }
  return { ids, values };
}

export async function scanEvalShard(args: EvalScanArgs): Promise<EvalPartial> {
  const { file, task, specs } = args;
  const candidate = await cachedModel(args.candidate);
  const baseline = args.baseline ? await cachedModel(args.baseline) : undefined;
  const table = readShardTable(file);
  const rows = table.numRows;

  const rawFeatures = unionFeatures(candidate.transformGraph.json.rawFeatures, baseline?.transformGraph.json.rawFeatures ?? []);
  const { columns: raw } = rawColumnsOf(table, rawFeatures, file);
  const transformed = candidate.transformGraph.apply(raw);

  let labelColumn: ArrayLike<unknown>;
  let labelName: string;
  if (args.label) {
    const values = columnValues(table, args.label);
    if (!values) {
      const names = table.schema.fields.map((f) => f.name).join(', ');
      throw new UserError(`The examples have no label column "${args.label}" (columns: ${names})`, { field: 'label', file });
    }
    labelColumn = values;
    labelName = args.label;
  } else {
    labelName = candidate.info.label;
    const values = transformed[labelName];
    if (!values) throw new UserError(`The transform graph does not produce the bundle's label "${labelName}": set the label parameter to a raw column`, { field: 'label' });
    labelColumn = values;
  }

  const slices = specs.map((spec) =>
    sliceIds(
      spec.map((f) => {
        const values = columnValues(table, f);
        if (!values) throw new UserError(`Slicing feature "${f}" is not a column of the examples`, { field: 'slicing_specs', file });
        return values;
      }),
      rows,
    ),
  );

  const predictions = predictBatched(candidate, transformed, rows, args.batchSize);
  const baselinePredictions = baseline ? predictBatched(baseline, baseline.transformGraph.apply(raw), rows, args.batchSize) : undefined;

  const classIndex = args.classes ? new Map(args.classes.map((c, i) => [c, i])) : undefined;
  const numClasses = (p: number | number[]) => args.classes?.length ?? (Array.isArray(p) ? p.length : 1);
  const makeAcc = (resamples: number) => (): MetricAcc =>
    task === 'binary' ? newBinaryAcc(resamples) : task === 'multiclass' ? newMulticlassAcc(numClasses(predictions[0])) : newRegressionAcc(resamples);
  // Accumulators per spec, by slice id.
  const candidateAccs = slices.map((sl) => sl.values.map(makeAcc(args.resamples)));
  const baselineAccs = baseline ? slices.map((sl) => sl.values.map(makeAcc(0))) : undefined;

  const random = shardRandom(args.seed, args.shard);
  const weights = args.resamples > 0 ? new Uint8Array(args.resamples) : undefined;
  let dropped = 0;
  const add = (acc: MetricAcc, y: number, p: number | number[], w: Uint8Array | undefined) => {
    if (acc.kind === 'binary') addBinary(acc, y, p as number, args.threshold, w);
    else if (acc.kind === 'multiclass') addMulticlass(acc, y, p as number[]);
    else addRegression(acc, y, p as number, w);
  };
  let row = 0;
  const where = () => `row ${row + 1} of ${file}`;
  for (let i = 0; i < rows; i++) {
    row = i;
    const y = encodeLabel(labelColumn[i], task, labelName, classIndex, where);
    if (y === undefined) {
      dropped++;
      continue;
    }
    if (weights) for (let r = 0; r < weights.length; r++) weights[r] = poisson1(random);
    for (let s = 0; s < specs.length; s++) {
      const id = slices[s].ids[i];
      try {
        add(candidateAccs[s][id], y, predictions[i], weights);
        if (baselineAccs) add(baselineAccs[s][id], y, baselinePredictions![i], undefined);
      } catch (e) {
        if (e instanceof RangeError) throw new UserError(`${file}, row ${i + 1}: ${e.message}`, { file, field: 'label' });
        throw e;
      }
    }
  }
  // Slices with no labelled row are left out, as if never seen.
  const partials = (accs: MetricAcc[][]): SlicePartial[] =>
    accs.flatMap((list, spec) => list.flatMap((acc, id) => (acc.n > 0 ? [{ spec, values: slices[spec].values[id], acc }] : [])));
  return {
    rows,
    dropped,
    candidate: partials(candidateAccs),
    ...(baselineAccs ? { baseline: partials(baselineAccs) } : {}),
  };
}
