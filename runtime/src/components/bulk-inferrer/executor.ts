/**
 * BulkInferrer: scores rows with the model's serving bundle (the same loadBundle and transform
 * graph as the server) and writes the rows plus predictions as Arrow and CSV.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Float64, tableToIPC, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import type { FeatureType } from '../../formats/examples.ts';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { openModel } from '../../serving/model-source.ts';
import { bundleDir, predictAll } from '../evaluator/executor.ts';
import { readSplitRows, type RawRow } from '../evaluator/read-rows.ts';
import { csvField, parseCsv } from './csv.ts';
import type { bulkInferrerSpec } from './spec.ts';

type Spec = typeof bulkInferrerSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const PREDICTIONS_ARROW = 'predictions.arrow';
export const PREDICTIONS_CSV = 'predictions.csv';

/** CSV rows typed by the bundle's raw features: numbers for INT/FLOAT, strings otherwise; '' is missing. */
export function readCsvRows(file: string, types: Map<string, FeatureType>): { columns: string[]; rows: RawRow[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`, { file });
  }
  const { header, rows, lines } = parseCsv(text, file);
  const out = rows.map((fields, r) => {
    const row: RawRow = {};
    header.forEach((name, j) => {
      const raw = fields[j];
      const type = types.get(name);
      if (raw === '') row[name] = null;
      else if (type === 'INT' || type === 'FLOAT') {
        const v = Number(raw);
        if (!Number.isFinite(v)) throw new UserError(`${file}:${lines[r]}: column "${name}" (${type}) has the non-number "${raw}"`, { file, line: lines[r] });
        row[name] = v;
      } else row[name] = raw;
    });
    return row;
  });
  return { columns: header, rows: out };
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const model = await openModel(bundleDir(ctx.inputs.model));
  try {
    const types = new Map(model.info.rawFeatures.map((f) => [f.name, f.type]));
    let columns: string[];
    let rows: RawRow[];
    let source: string;
    if (params.path) {
      source = ctx.resolvePath(params.path);
      ({ columns, rows } = readCsvRows(source, types));
    } else if (ctx.inputs.examples) {
      source = `${ctx.inputs.examples.uri} (split ${params.split})`;
      rows = readSplitRows(ctx.inputs.examples.uri, params.split);
      columns = rows.length ? Object.keys(rows[0]) : [];
    } else {
      throw new UserError('Nothing to score: set path to a CSV file or wire the examples input', { field: 'path' });
    }
    const missing = model.info.rawFeatures.filter((f) => f.name !== model.info.label && !columns.includes(f.name));
    if (missing.length) ctx.log.warn(`Columns absent from the input, scored as missing values: ${missing.map((f) => f.name).join(', ')}`);
    ctx.log.info(`Scoring ${rows.length} rows of ${source}`);
    const predictions = await predictAll(model, rows, params.batch_size, ctx.signal);

    // Added columns: the prediction, and for multiclass one probability per class.
    const added: Record<string, (number | string)[]> = {};
    const name = params.prediction_column;
    if (model.info.task === 'multiclass') {
      const classes = model.info.classes ?? (predictions[0] as number[] | undefined)?.map((_, k) => String(k)) ?? [];
      added[name] = predictions.map((p) => {
        const probs = p as number[];
        return classes[probs.indexOf(Math.max(...probs))];
      });
      classes.forEach((c, k) => (added[`${name}_prob_${c}`] = predictions.map((p) => (p as number[])[k])));
    } else {
      added[name] = predictions as number[];
    }
    for (const c of Object.keys(added)) if (columns.includes(c)) throw new UserError(`The input already has a column "${c}": choose another prediction_column`, { field: 'prediction_column' });

    const vectors: Record<string, Vector> = {};
    for (const c of columns) {
      const values = rows.map((r) => r[c] ?? null);
      const numeric = values.every((v) => v === null || typeof v === 'number');
      vectors[c] = numeric ? vectorFromArray(values as (number | null)[], new Float64()) : vectorFromArray(values.map((v) => (v === null ? null : String(v))), new Utf8());
    }
    for (const [c, values] of Object.entries(added)) {
      vectors[c] = typeof values[0] === 'string' ? vectorFromArray(values as string[], new Utf8()) : vectorFromArray(values as number[], new Float64());
    }
    const out = ctx.outputs.inference_result;
    writeFileSync(join(out.uri, PREDICTIONS_ARROW), tableToIPC(new Table(vectors), 'file'));
    const header = [...columns, ...Object.keys(added)];
    const lines = [header.map(csvField).join(',')];
    rows.forEach((r, i) => lines.push([...columns.map((c) => csvField(r[c])), ...Object.keys(added).map((c) => csvField(added[c][i]))].join(',')));
    writeFileSync(join(out.uri, PREDICTIONS_CSV), `${lines.join('\n')}\n`);
    out.properties = { rows: rows.length, task: model.info.task, predictionColumns: Object.keys(added), source };
  } finally {
    model.dispose();
  }
}
