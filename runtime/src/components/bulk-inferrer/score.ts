/**
 * BulkInferrer's unit of work: one batch of rows (an Arrow shard of the examples, or a chunk of a
 * CSV file) scored and written as a part — an Arrow IPC stream and CSV lines — in a staging
 * folder. The executor appends the parts in order to the outputs, so neither the input nor the
 * predictions are ever held whole.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, Float64, makeData, makeVector, Table, tableToIPC, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import { UserError } from '../../core/errors.ts';
import type { BundleInfo, ServableModel } from '../../serving/model-source.ts';
import { rawColumnsOf, readNumeric, readShardTable } from '../transform/shard-io.ts';
import { cachedModel, columnValues, predictBatched } from '../evaluator/scan.ts';
import { csvField } from './csv.ts';

/** An output column: numbers (NaN for missing) or strings (null for missing). */
export type OutputColumn = { name: string; kind: 'number'; values: Float64Array } | { name: string; kind: 'string'; values: (string | null)[] };

export interface ScoredPart {
  rows: number;
  arrow: string;
  csv: string;
  /** Column names and kinds, in order: every part must have the same. */
  layout: string;
  predictionColumns: string[];
}

/** The prediction columns: the value (binary, regression) or the class and one probability per class (multiclass). */
export function predictionColumns(info: Pick<BundleInfo, 'task' | 'classes'>, predictions: (number | number[])[], name: string): OutputColumn[] {
  if (info.task !== 'multiclass') return [{ name, kind: 'number', values: Float64Array.from(predictions as number[]) }];
  const width = (predictions[0] as number[] | undefined)?.length ?? info.classes?.length ?? 0;
  const classes = info.classes ?? Array.from({ length: width }, (_, k) => String(k));
  const probs = predictions as number[][];
  return [
    { name, kind: 'string', values: probs.map((p) => classes[p.indexOf(Math.max(...p))]) },
    ...classes.map((c, k) => ({ name: `${name}_prob_${c}`, kind: 'number' as const, values: Float64Array.from(probs, (p) => p[k]) })),
  ];
}

/** Float64 values with NaN as null, without a builder: the array is the column's buffer. */
function float64Vector(values: Float64Array): Vector {
  let nulls = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) nulls++;
  if (nulls === 0) return makeVector(values);
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) nullBitmap[i >> 3] |= 1 << (i & 7);
  return makeVector(makeData({ type: new Float64(), length: values.length, nullCount: nulls, nullBitmap, data: values }));
}

/** A column's CSV fields, row by row. */
function csvFields(c: OutputColumn): string[] {
  if (c.kind === 'string') return c.values.map(csvField);
  // Numbers never need quoting.
  return Array.from(c.values, (v) => (v !== v ? '' : String(v)));
}

/** Writes one scored part: input columns plus prediction columns. */
export function writePart(staging: string, index: number, columns: OutputColumn[], added: OutputColumn[], rows: number): ScoredPart {
  for (const c of added) if (columns.some((x) => x.name === c.name)) throw new UserError(`The input already has a column "${c.name}": choose another prediction_column`, { field: 'prediction_column' });
  const all = [...columns, ...added];
  const vectors: Record<string, Vector> = {};
  for (const c of all) vectors[c.name] = c.kind === 'number' ? float64Vector(c.values) : vectorFromArray(c.values, new Utf8());
  const arrow = join(staging, `part-${index}.arrow`);
  const csv = join(staging, `part-${index}.csv`);
  writeFileSync(arrow, tableToIPC(new Table(vectors), 'stream'));
  // Field by field, column by column: one string per row, no per-row arrays.
  const fields = all.map(csvFields);
  const lines = new Array<string>(rows);
  for (let i = 0; i < rows; i++) {
    let line = fields[0][i];
    for (let c = 1; c < fields.length; c++) line += `,${fields[c][i]}`;
    lines[i] = line;
  }
  writeFileSync(csv, rows ? `${lines.join('\n')}\n` : '');
  return { rows, arrow, csv, layout: all.map((c) => `${c.name}:${c.kind}`).join(','), predictionColumns: added.map((c) => c.name) };
}

export interface ScoreShardArgs {
  file: string;
  index: number;
  bundle: string;
  staging: string;
  predictionColumn: string;
  batchSize: number;
}

/** Pool task: one Arrow shard of the examples, scored (the model is loaded once per worker). */
export async function scoreExamplesShard(args: ScoreShardArgs): Promise<ScoredPart> {
  const model: ServableModel = await cachedModel(args.bundle);
  const table = readShardTable(args.file);
  const rows = table.numRows;
  const { columns: raw } = rawColumnsOf(table, model.transformGraph.json.rawFeatures, args.file);
  const predictions = predictBatched(model, model.transformGraph.apply(raw), rows, args.batchSize);
  const columns = table.schema.fields.map((f): OutputColumn => {
    const vector = table.getChild(f.name)!;
    if (DataType.isFloat(f.type) || DataType.isInt(f.type)) return { name: f.name, kind: 'number', values: readNumeric(vector, rows) };
    return { name: f.name, kind: 'string', values: columnValues(table, f.name)!.map((v) => (v === null ? null : String(v))) };
  });
  return writePart(args.staging, args.index, columns, predictionColumns(model.info, predictions, args.predictionColumn), rows);
}
