/**
 * Transform's pool tasks, one call per Arrow shard: the analyze pass returns the shard's analyzer
 * partials, the apply pass writes the shard's transformed examples. Both import the compiled
 * module from the TransformGraph output (once per worker thread).
 */
import type { AnalyzerRecord, PreprocessingFn, RawColumns } from '../../ml/api.ts';
import { mergePartialRecords, type PartialRecord } from '../../ml/analyzers.ts';
import { importUserExport } from '../../ml/user-module.ts';
import { accumulateAnalyzers, type OutputDescription, type RawFeature, runPreprocessing } from '../../ml/transform-graph.ts';
import { rawColumnsOf, readShardTable, TransformedShardWriter } from './shard-io.ts';

export interface ShardArgs {
  modulePath: string;
  exportName: string;
  rawFeatures: RawFeature[];
  file: string;
}

export interface AnalyzeResult {
  rows: number;
  partials: PartialRecord[];
}

/**
 * Rows preprocessing_fn runs on at a time, in both passes (as tf.Transform runs its graph on
 * batches): its intermediate columns then take this many rows, however large the shard, so a
 * worker's heap does not grow with the shard size. Analyze: the batches' partials merge in row
 * order like shards' do. Apply: the analyzer results are fixed, so batches give the very values
 * the whole shard would.
 */
export const TRANSFORM_BATCH_ROWS = 16_384;

/** preprocessing_fn's input columns of each batch of a shard's rows, in order (at least one batch). */
function* rawBatches(args: ShardArgs): Generator<{ start: number; end: number; rows: number; columns: RawColumns }> {
  const table = readShardTable(args.file);
  const rows = table.numRows;
  for (let start = 0; start < rows || start === 0; start += TRANSFORM_BATCH_ROWS) {
    const end = Math.min(rows, start + TRANSFORM_BATCH_ROWS);
    yield { start, end, rows, columns: rawColumnsOf(table.slice(start, end), args.rawFeatures, args.file).columns };
    if (end >= rows) return;
  }
}

export async function analyzeShard(args: ShardArgs): Promise<AnalyzeResult> {
  const fn = await importUserExport<PreprocessingFn>(args.modulePath, args.exportName);
  let rows = 0;
  let partials: PartialRecord[] | undefined;
  for (const batch of rawBatches(args)) {
    rows = batch.rows;
    const next = accumulateAnalyzers(fn, batch.columns);
    partials = partials ? mergePartialRecords([partials, next]) : next;
  }
  return { rows, partials: partials! };
}

export interface ApplyArgs extends ShardArgs {
  analyzers: AnalyzerRecord[];
  outFile: string;
}

export interface ApplyResult {
  rows: number;
  /** Output descriptions of each batch of rows the shard was transformed in. */
  outputs: OutputDescription[][];
}

export async function applyShard(args: ApplyArgs): Promise<ApplyResult> {
  const fn = await importUserExport<PreprocessingFn>(args.modulePath, args.exportName);
  let rows = 0;
  const outputs: OutputDescription[][] = [];
  const out = new TransformedShardWriter(args.outFile);
  try {
    for (const batch of rawBatches(args)) {
      rows = batch.rows;
      const { columns, described } = runPreprocessing(fn, args.analyzers, batch.columns);
      await out.add(columns, `rows ${batch.start + 1}–${batch.end} of ${args.file}`);
      outputs.push(described);
    }
    await out.close();
  } catch (e) {
    await out.abort();
    throw e;
  }
  return { rows, outputs };
}

export const tasks = {
  'transform.analyzeShard': analyzeShard,
  'transform.applyShard': applyShard,
};
