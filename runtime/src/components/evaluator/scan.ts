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
  /** Rows scanned at a time (default SCAN_BATCH_ROWS). */
  scanBatchRows?: number;
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

/**
 * The slices of one spec seen so far, each a small integer id: a row's slice is one lookup
 * instead of a key string, and ids stay the same from one batch of rows to the next.
 */
export class SliceIndex {
  readonly values: SliceValue[][] = [];
  // One feature: Map keys tell 1 from "1" and null from "null", as the key strings do.
  private readonly byValue = new Map<SliceValue, number>();
  private readonly byKey = new Map<string, number>();

  constructor(private readonly features: number) {
    if (features === 0) this.values.push([]);
  }

  /** The slice id of each of `rows` rows, given the spec's columns of those rows. */
  assign(columns: SliceValue[][], rows: number): Int32Array {
    const ids = new Int32Array(rows);
    if (this.features === 0) return ids;
    if (this.features === 1) {
      const col = columns[0];
      for (let i = 0; i < rows; i++) {
        let id = this.byValue.get(col[i]);
        if (id === undefined) {
          this.byValue.set(col[i], (id = this.values.length));
          this.values.push([col[i]]);
        }
        ids[i] = id;
      }
      return ids;
    }
    for (let i = 0; i < rows; i++) {
      const key = columns.map((c) => keyPart(c[i])).join('\u0000');
      let id = this.byKey.get(key);
      if (id === undefined) {
        this.byKey.set(key, (id = this.values.length));
        this.values.push(columns.map((c) => c[i]));
      }
      ids[i] = id;
    }
    return ids;
  }
}

/** Slice ids of a spec's columns in one go (see SliceIndex). */
export function sliceIds(columns: SliceValue[][], rows: number): { ids: Int32Array; values: SliceValue[][] } {
  const index = new SliceIndex(columns.length);
  return { ids: index.assign(columns, rows), values: index.values };
}

/**
 * Rows of a shard scanned at a time: its columns, transformed inputs and predictions then take
 * this many rows, however large the shard, so a worker's memory does not grow with the shard size.
 * Accumulators and the bootstrap's random stream carry over, so the result is the whole shard's.
 */
export const SCAN_BATCH_ROWS = 16_384;

export async function scanEvalShard(args: EvalScanArgs): Promise<EvalPartial> {
  const { file, task, specs } = args;
  const candidate = await cachedModel(args.candidate);
  const baseline = args.baseline ? await cachedModel(args.baseline) : undefined;
  const table = readShardTable(file);
  const rows = table.numRows;
  const rawFeatures = unionFeatures(candidate.transformGraph.json.rawFeatures, baseline?.transformGraph.json.rawFeatures ?? []);

  if (args.label && !table.getChild(args.label)) {
    const names = table.schema.fields.map((f) => f.name).join(', ');
    throw new UserError(`The examples have no label column "${args.label}" (columns: ${names})`, { field: 'label', file });
  }
  for (const f of specs.flat()) {
    if (!table.getChild(f)) throw new UserError(`Slicing feature "${f}" is not a column of the examples`, { field: 'slicing_specs', file });
  }
  const labelName = args.label || candidate.info.label;
  const classIndex = args.classes ? new Map(args.classes.map((c, i) => [c, i])) : undefined;
  const indexes = specs.map((spec) => new SliceIndex(spec.length));
  // Accumulators per spec, by slice id, made when a slice first has a labelled row.
  const candidateAccs: MetricAcc[][] = specs.map(() => []);
  const baselineAccs: MetricAcc[][] | undefined = baseline ? specs.map(() => []) : undefined;
  const makeAcc = (resamples: number, p: number | number[]): MetricAcc =>
    task === 'binary'
      ? newBinaryAcc(resamples)
      : task === 'multiclass'
        ? newMulticlassAcc(args.classes?.length ?? (Array.isArray(p) ? p.length : 1))
        : newRegressionAcc(resamples);
  const add = (acc: MetricAcc, y: number, p: number | number[], w: Uint8Array | undefined) => {
    if (acc.kind === 'binary') addBinary(acc, y, p as number, args.threshold, w);
    else if (acc.kind === 'multiclass') addMulticlass(acc, y, p as number[]);
    else addRegression(acc, y, p as number, w);
  };

  const random = shardRandom(args.seed, args.shard);
  const weights = args.resamples > 0 ? new Uint8Array(args.resamples) : undefined;
  let dropped = 0;
  let row = 0;
  const where = () => `row ${row + 1} of ${file}`;
  const step = args.scanBatchRows ?? SCAN_BATCH_ROWS;
  for (let start = 0; start < rows; start += step) {
    const n = Math.min(rows, start + step) - start;
    const part = table.slice(start, start + n);
    const { columns: raw } = rawColumnsOf(part, rawFeatures, file);
    const transformed = candidate.transformGraph.apply(raw);
    let labelColumn: ArrayLike<unknown>;
    if (args.label) labelColumn = columnValues(part, args.label)!;
    else {
      const values = transformed[labelName];
      if (!values) throw new UserError(`The transform graph does not produce the bundle's label "${labelName}": set the label parameter to a raw column`, { field: 'label' });
      labelColumn = values;
    }
    const ids = specs.map((spec, s) => indexes[s].assign(spec.map((f) => columnValues(part, f)!), n));
    const predictions = predictBatched(candidate, transformed, n, args.batchSize);
    const baselinePredictions = baseline ? predictBatched(baseline, baseline.transformGraph.apply(raw), n, args.batchSize) : undefined;

    for (let i = 0; i < n; i++) {
      row = start + i;
      const y = encodeLabel(labelColumn[i], task, labelName, classIndex, where);
      if (y === undefined) {
        dropped++;
        continue;
      }
      if (weights) for (let r = 0; r < weights.length; r++) weights[r] = poisson1(random);
      for (let s = 0; s < specs.length; s++) {
        const id = ids[s][i];
        try {
          add((candidateAccs[s][id] ??= makeAcc(args.resamples, predictions[i])), y, predictions[i], weights);
          if (baselineAccs) add((baselineAccs[s][id] ??= makeAcc(0, baselinePredictions![i])), y, baselinePredictions![i], undefined);
        } catch (e) {
          if (e instanceof RangeError) throw new UserError(`${file}, row ${row + 1}: ${e.message}`, { file, field: 'label' });
          throw e;
        }
      }
    }
  }
  const partials = (accs: MetricAcc[][]): SlicePartial[] =>
    accs.flatMap((list, spec) => list.flatMap((acc, id) => (acc ? [{ spec, values: indexes[spec].values[id], acc }] : [])));
  return {
    rows,
    dropped,
    candidate: partials(candidateAccs),
    ...(baselineAccs ? { baseline: partials(baselineAccs) } : {}),
  };
}
