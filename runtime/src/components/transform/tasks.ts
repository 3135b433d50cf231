/**
 * Transform's pool tasks, one call per Arrow shard: the analyze pass returns the shard's analyzer
 * partials, the apply pass writes the shard's transformed examples. Both import the compiled
 * module from the TransformGraph output (once per worker thread).
 */
import type { AnalyzerRecord, PreprocessingFn } from '../../ml/api.ts';
import type { PartialRecord } from '../../ml/analyzers.ts';
import { importUserExport } from '../../ml/user-module.ts';
import { accumulateAnalyzers, type OutputDescription, type RawFeature, runPreprocessing } from '../../ml/transform-graph.ts';
import { readRawShard, writeTransformedShard } from './shard-io.ts';

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
  outputs: OutputDescription[];
}

export async function applyShard(args: ApplyArgs): Promise<ApplyResult> {
  const fn = await importUserExport<PreprocessingFn>(args.modulePath, args.exportName);
  const { rows, columns } = readRawShard(args.file, args.rawFeatures);
  const { columns: out, described } = runPreprocessing(fn, args.analyzers, columns);
  writeTransformedShard(args.outFile, out);
  return { rows, outputs: described };
}

export const tasks = {
  'transform.analyzeShard': analyzeShard,
  'transform.applyShard': applyShard,
};
