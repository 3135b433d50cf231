/**
 * Transform's pool tasks, one call per Arrow shard: the analyze pass returns the shard's analyzer
 * partials, the apply pass writes the shard's transformed examples. Both import the compiled
 * module from the TransformGraph output (once per worker thread).
 */
import type { AnalyzerRecord, PreprocessingFn, TransformedColumns } from '../../ml/api.ts';
import { UserError } from '../../core/errors.ts';
import type { PartialRecord } from '../../ml/analyzers.ts';
import { importUserExport } from '../../ml/user-module.ts';
import { accumulateAnalyzers, type OutputDescription, type RawFeature, runPreprocessing } from '../../ml/transform-graph.ts';
import { rawColumnsOf, readRawShard, readShardTable, writeTransformedShard } from './shard-io.ts';

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

export async function analyzeShard(args: ShardArgs): Promise<AnalyzeResult> {
  const fn = await importUserExport<PreprocessingFn>(args.modulePath, args.exportName);
  const { rows, columns } = readRawShard(args.file, args.rawFeatures);
  return { rows, partials: accumulateAnalyzers(fn, columns) };
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

/**
 * Rows preprocessing_fn transforms at a time in the apply pass (as tf.Transform applies its graph
 * to batches): its intermediate columns then take this many rows, however large the shard, so a
 * worker's heap does not grow with the shard size. Analyzer results are fixed here, so batches
 * give the very values the whole shard would.
 */
export const APPLY_BATCH_ROWS = 16_384;

export async function applyShard(args: ApplyArgs): Promise<ApplyResult> {
  const fn = await importUserExport<PreprocessingFn>(args.modulePath, args.exportName);
  const table = readShardTable(args.file);
  const rows = table.numRows;
  const out: TransformedColumns = {};
  const outputs: OutputDescription[][] = [];
  for (let start = 0; start < rows || outputs.length === 0; start += APPLY_BATCH_ROWS) {
    const end = Math.min(rows, start + APPLY_BATCH_ROWS);
    const { columns } = rawColumnsOf(table.slice(start, end), args.rawFeatures, args.file);
    const { columns: batch, described } = runPreprocessing(fn, args.analyzers, columns);
    for (const [name, values] of Object.entries(batch)) {
      out[name] ??= values instanceof Int32Array ? new Int32Array(rows) : new Float32Array(rows);
      if (out[name] instanceof Int32Array !== values instanceof Int32Array) {
        throw new UserError(`preprocessing_fn output "${name}" is ${values instanceof Int32Array ? 'int32' : 'float32'} for rows ${start + 1}–${end} of ${args.file} and not for earlier rows`);
      }
      out[name].set(values, start);
    }
    outputs.push(described);
  }
  writeTransformedShard(args.outFile, out);
  return { rows, outputs };
}

export const tasks = {
  'transform.analyzeShard': analyzeShard,
  'transform.applyShard': applyShard,
};
