/**
 * BulkInferrer: scores rows with the model's serving bundle (the same loadBundle and transform
 * graph as the server) and writes the rows plus predictions as Arrow and CSV. Streamed: the
 * examples' shards are scored on the worker pool (the model loaded once per worker), a CSV input
 * in chunks of rows; each scored part is appended to the outputs in input order.
 */
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RecordBatchFileWriter, tableFromIPC } from 'apache-arrow';
import type { FeatureType } from '../../formats/examples.ts';
import { listShards, type ExamplesProperties } from '../../formats/examples.ts';
import { readBundleInfo } from '../../ml/bundle.ts';
import { RateMeter } from '../../util/rate.ts';
import { type ExecutorContext } from '../../core/component.ts';
import { UserError } from '../../core/errors.ts';
import { bundleDir } from '../evaluator/executor.ts';
import { cachedModel, type SliceValue } from '../evaluator/scan.ts';
import { csvField, csvRows, fileChunks } from './csv.ts';
import type { bulkInferrerSpec } from './spec.ts';
import { type OutputColumn, predictionColumns, type ScoredPart, type ScoreShardArgs, writePart } from './score.ts';

type Spec = typeof bulkInferrerSpec;
type Ctx = ExecutorContext<Spec['inputs'], Spec['outputs'], Spec['params']>;

export const PREDICTIONS_ARROW = 'predictions.arrow';
export const PREDICTIONS_CSV = 'predictions.csv';
/** CSV rows scored per part: bounds the memory of a CSV input of any size. */
export const CSV_CHUNK_ROWS = 50_000;

/** Appends scored parts, in order, to predictions.arrow (one record batch per part) and predictions.csv. */
class PartAppender {
  rows = 0;
  layout?: string;
  predictionColumns: string[] = [];
  private readonly arrow = new RecordBatchFileWriter();
  private readonly arrowDone: Promise<void>;
  private readonly csv: number;
  private next = 0;
  private readonly early = new Map<number, ScoredPart>();

  constructor(dir: string) {
    this.arrowDone = pipeline(this.arrow.toNodeStream(), createWriteStream(join(dir, PREDICTIONS_ARROW)));
    this.csv = openSync(join(dir, PREDICTIONS_CSV), 'w');
  }

  /** Part `index`; parts that arrive early wait for their predecessors. */
  async accept(index: number, part: ScoredPart): Promise<void> {
    this.early.set(index, part);
    for (let p = this.early.get(this.next); p; p = this.early.get(this.next)) {
      this.early.delete(this.next++);
      await this.append(p);
    }
  }

  private async append(part: ScoredPart): Promise<void> {
    if (this.layout === undefined) {
      this.layout = part.layout;
      this.predictionColumns = part.predictionColumns;
      writeSync(this.csv, `${part.layout.split(',').map((c) => csvField(c.slice(0, c.lastIndexOf(':')))).join(',')}\n`);
    } else if (part.layout !== this.layout) {
      throw new UserError(`The input's columns change between parts: ${part.layout} after ${this.layout}`);
    }
    writeSync(this.csv, readFileSync(part.csv));
    for (const batch of tableFromIPC(readFileSync(part.arrow)).batches) this.arrow.write(batch);
    rmSync(part.arrow, { force: true });
    rmSync(part.csv, { force: true });
    this.rows += part.rows;
    // Let the Arrow file stream take what was written before the next part comes.
    await new Promise((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    closeSync(this.csv);
    this.arrow.finish();
    await this.arrowDone;
  }
}

/** CSV records typed by the bundle's raw features: numbers for INT/FLOAT, strings otherwise; '' is missing. */
function typedValue(raw: string, type: FeatureType | undefined, file: string, line: number, name: string): SliceValue {
  if (raw === '') return null;
  if (type !== 'INT' && type !== 'FLOAT') return raw;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new UserError(`${file}:${line}: column "${name}" (${type}) has the non-number "${raw}"`, { file, line });
  return v;
}

/** A CSV input in chunks of CSV_CHUNK_ROWS rows, scored on this thread; each part goes to `onPart` in order. */
export async function scoreCsv(
  ctx: Pick<Ctx, 'params' | 'inputs' | 'log' | 'signal'>,
  file: string,
  staging: string,
  onPart: (index: number, part: ScoredPart) => Promise<void>,
): Promise<void> {
  const { params } = ctx;
  const model = await cachedModel(bundleDir(ctx.inputs.model));
  const types = new Map(model.info.rawFeatures.map((f) => [f.name, f.type]));
  let header: string[] = [];
  let chunk: SliceValue[][] = [];
  let index = 0;
  const flush = () => {
    const rows = chunk.map((values) => Object.fromEntries(header.map((h, j) => [h, values[j]])));
    const predictions: (number | number[])[] = [];
    for (let i = 0; i < rows.length; i += params.batch_size) predictions.push(...model.predict(rows.slice(i, i + params.batch_size)));
    const columns: OutputColumn[] = header.map((name, j) =>
      types.get(name) === 'INT' || types.get(name) === 'FLOAT'
        ? { name, kind: 'number', values: Float64Array.from(chunk, (r) => (r[j] as number | null) ?? NaN) }
        : { name, kind: 'string', values: chunk.map((r) => (r[j] === null ? null : String(r[j]))) },
    );
    const part = writePart(staging, index, columns, predictionColumns(model.info, predictions, params.prediction_column), chunk.length);
    chunk = [];
    return onPart(index++, part);
  };
  for (const r of csvRows(fileChunks(file), file)) {
    ctx.signal.throwIfAborted();
    if ('header' in r) {
      header = r.header;
      const missing = model.info.rawFeatures.filter((f) => f.name !== model.info.label && !header.includes(f.name));
      if (missing.length) ctx.log.warn(`Columns absent from the input, scored as missing values: ${missing.map((f) => f.name).join(', ')}`);
      continue;
    }
    chunk.push(r.fields.map((v, j) => typedValue(v, types.get(header[j]), file, r.line, header[j])));
    if (chunk.length >= CSV_CHUNK_ROWS) await flush();
  }
  if (chunk.length || index === 0) await flush();
}

type PlanContext = Pick<Ctx, 'params' | 'inputs'>;

/** The examples' shards to score, one pool task (or Argo map step) each, staging parts in `staging`. */
export function planExamples(ctx: PlanContext, staging: string): { items: ScoreShardArgs[]; total?: number; source: string } {
  const { params } = ctx;
  const examples = ctx.inputs.examples;
  if (!examples) throw new UserError('Nothing to score: set path to a CSV file or wire the examples input', { field: 'path' });
  let files: string[];
  try {
    files = listShards(examples.uri, params.split);
  } catch (e) {
    throw new UserError(`Examples at ${examples.uri} have no split "${params.split}": ${(e as Error).message}`, { file: examples.uri });
  }
  const total = (examples.properties as Partial<ExamplesProperties> | undefined)?.splits?.[params.split]?.rows;
  const items = files.map((file, index) => ({
    file,
    index,
    bundle: bundleDir(ctx.inputs.model),
    staging,
    predictionColumn: params.prediction_column,
    batchSize: params.batch_size,
  }));
  return { items, total, source: `${examples.uri} (split ${params.split})` };
}

/** Appends staged parts in order to the outputs and records the artifact's properties (the Argo merge). */
export async function writeParts(ctx: Pick<Ctx, 'outputs' | 'inputs'>, parts: ScoredPart[], source: string): Promise<void> {
  const out = new PartAppender(ctx.outputs.inference_result.uri);
  try {
    for (const [i, p] of parts.entries()) await out.accept(i, p);
  } finally {
    await out.close();
  }
  const info = readBundleInfo(bundleDir(ctx.inputs.model));
  ctx.outputs.inference_result.properties = { rows: out.rows, task: info.task, predictionColumns: out.predictionColumns, source };
}

export async function execute(ctx: Ctx): Promise<void> {
  const { params } = ctx;
  const info = readBundleInfo(bundleDir(ctx.inputs.model));
  const dir = ctx.outputs.inference_result.uri;
  const staging = join(dir, '.parts');
  mkdirSync(staging, { recursive: true });
  let source: string;
  let out: PartAppender | undefined;
  try {
    if (params.path) {
      source = ctx.resolvePath(params.path);
      ctx.log.info(`Scoring ${source} in chunks of ${CSV_CHUNK_ROWS} rows`);
      const appender = (out = new PartAppender(dir));
      const meter = new RateMeter('rows');
      await scoreCsv(ctx, source, staging, async (i, part) => {
        await appender.accept(i, part);
        ctx.progress(meter.at(appender.rows));
      });
    } else {
      const plan = planExamples(ctx, staging);
      source = plan.source;
      ctx.log.info(`Scoring ${source}: ${plan.items.length} shard(s)${plan.total !== undefined ? `, ${plan.total} rows` : ''} on ${ctx.pool.size} worker(s)`);
      const meter = new RateMeter('rows', plan.total);
      const appender = (out = new PartAppender(dir));
      const items = plan.items;
      let appending = Promise.resolve();
      ctx.progress(meter.at(0));
      await ctx.pool.each<ScoreShardArgs, ScoredPart>('bulkInferrer.scoreShard', items, {
        signal: ctx.signal,
        onResult: (part, i) => {
          appending = appending.then(() => appender.accept(i, part)).then(() => ctx.progress(meter.at(appender.rows)));
        },
      });
      await appending;
    }
    const done = out;
    out = undefined;
    await done.close();
    ctx.outputs.inference_result.properties = { rows: done.rows, task: info.task, predictionColumns: done.predictionColumns, source };
    ctx.log.info(`Scored ${done.rows} rows`);
  } finally {
    await out?.close().catch(() => undefined);
    rmSync(staging, { recursive: true, force: true });
  }
}
