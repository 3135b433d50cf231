/**
 * BulkInferrer's unit of work: one batch of rows (an Arrow shard of the examples, or a chunk of a
 * CSV file) scored and written as a part — an Arrow IPC stream and CSV lines — in a staging
 * folder. The executor appends the parts in order to the outputs, so neither the input nor the
 * predictions are ever held whole.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, Float64, Table, tableToIPC, Utf8, type Vector, vectorFromArray } from 'apache-arrow';
import { UserError } from '../../core/errors.ts';
import type { BundleInfo, ServableModel } from '../../serving/model-source.ts';
import { rawColumnsOf, readShardTable } from '../transform/shard-io.ts';
import { cachedModel, columnValues, predictBatched, type SliceValue } from '../evaluator/scan.ts';
import { csvField } from './csv.ts';

export interface OutputColumn {
  name: string;
  kind: 'number' | 'string';
  values: SliceValue[];
}

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
  if (info.task !== 'multiclass') return [{ name, kind: 'number', values: predictions as number[] }];
  const width = (predictions[0] as number[] | undefined)?.length ?? info.classes?.length ?? 0;
  const classes = info.classes ?? Array.from({ length: width }, (_, k) => String(k));
  const probs = predictions as number[][];
  return [
    { name, kind: 'string', values: probs.map((p) => classes[p.indexOf(Math.max(...p))]) },
    ...classes.map((c, k) => ({ name: `${name}_prob_${c}`, kind: 'number' as const, values: probs.map((p) => p[k]) })),
  ];
}

/** Writes one scored part: input columns plus prediction columns. */
export function writePart(staging: string, index: number, columns: OutputColumn[], added: OutputColumn[], rows: number): ScoredPart {
  for (const c of added) if (columns.some((x) => x.name === c.name)) throw new UserError(`The input already has a column "${c.name}": choose another prediction_column`, { field: 'prediction_column' });
  const all = [...columns, ...added];
  const vectors: Record<string, Vector> = {};
  for (const c of all) {
    vectors[c.name] =
      c.kind === 'number'
        ? vectorFromArray(c.values as (number | null)[], new Float64())
        : vectorFromArray(c.values.map((v) => (v === null ? null : String(v))), new Utf8());
  }
  const arrow = join(staging, `part-${index}.arrow`);
  const csv = join(staging, `part-${index}.csv`);
  writeFileSync(arrow, tableToIPC(new Table(vectors), 'stream'));
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(all.map((c) => csvField(c.values[i])).join(','));
  writeFileSync(csv, lines.length ? `${lines.join('\n')}\n` : '');
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
    const numeric = DataType.isFloat(f.type) || DataType.isInt(f.type);
    return { name: f.name, kind: numeric ? 'number' : 'string', values: columnValues(table, f.name)! };
  });
  return writePart(args.staging, args.index, columns, predictionColumns(model.info, predictions, args.predictionColumn), rows);
}
