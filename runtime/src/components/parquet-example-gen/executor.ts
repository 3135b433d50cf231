/**
 * ParquetExampleGen, main thread: resolve files, read each footer (schema, row groups), map the
 * column types, cut every file into shards of consecutive row groups, read shards in pool workers
 * and record the Examples. Column kinds come from the footers, so one pass is always enough.
 */
import { asyncBufferFromFile, parquetMetadataAsync, type FileMetaData } from 'hyparquet';
import type { Static } from '@sinclair/typebox';
import { timelineMark } from '../../util/pool-timeline.ts';
import { UserError } from '../../core/errors.ts';
import type { ExecutorContext } from '../../core/component.ts';
import { hasSpanPlaceholder } from '../../util/spans.ts';
import { resolveInputFiles } from '../csv-example-gen/input-files.ts';
import { featureTypeOf } from '../csv-example-gen/values.ts';
import { finishExamples, moveStagedShards, recordSpans, selectSpans, withCleanup } from '../example-gen-common/output.ts';
import { checkSplits } from '../example-gen-common/splits.ts';
import { checkSameColumns, parquetColumns, type ParquetColumn } from './columns.ts';
import type { ReadRowsArgs, ReadRowsResult } from './read-rows.ts';
import type { parquetExampleGenParams, parquetExampleGenSpec } from './spec.ts';

export type Ctx = ExecutorContext<Record<string, never>, typeof parquetExampleGenSpec.outputs, typeof parquetExampleGenParams>;
type Params = Static<typeof parquetExampleGenParams>;

interface ParquetFile {
  path: string;
  meta: FileMetaData;
  columns: ParquetColumn[];
}

async function readFooter(path: string): Promise<ParquetFile> {
  let meta: FileMetaData;
  try {
    meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
  } catch (e) {
    throw new UserError(`${path}: not a readable Parquet file: ${(e as Error).message}`, { file: path, field: 'input' });
  }
  return { path, meta, columns: parquetColumns(meta, path) };
}

/** A row group is cut into row ranges no smaller than this (a range's first page is found by skipping earlier pages undecoded). */
export const MIN_SHARD_ROWS = 16_384;

/**
 * Shards of each file, by position (independent of the worker count): runs of consecutive row
 * groups up to `shardBytes` compressed bytes, and a row group larger than that cut into equal row
 * ranges of about `shardBytes`, so that one big file or one big row group still feeds every worker.
 */
export function planShards(files: ParquetFile[], shardBytes: number): { file: string; rowStart: number; rowEnd: number }[] {
  const shards: { file: string; rowStart: number; rowEnd: number }[] = [];
  for (const f of files) {
    let row = 0;
    let start = 0;
    let bytes = 0;
    const close = () => {
      if (row > start) shards.push({ file: f.path, rowStart: start, rowEnd: row });
      start = row;
      bytes = 0;
    };
    for (const g of f.meta.row_groups) {
      const size = Number(g.total_compressed_size ?? g.total_byte_size);
      const rows = Number(g.num_rows);
      const pieces = Math.min(Math.ceil(size / shardBytes), Math.floor(rows / MIN_SHARD_ROWS));
      if (pieces > 1) {
        close();
        for (let k = 1; k <= pieces; k++) {
          row = start + Math.round((rows * k) / pieces) - Math.round((rows * (k - 1)) / pieces);
          close();
        }
        continue;
      }
      if (bytes > 0 && bytes + size > shardBytes) close();
      row += rows;
      bytes += size;
    }
    close();
  }
  return shards;
}

export async function execute(ctx: Ctx): Promise<void> {
  await withCleanup(ctx.outputs.examples, () => run(ctx));
}

/** As CsvExampleGen's: fan-out steps stage shards in `stagingUri`; the merge hands in their outcomes. */
export interface StagedRun {
  stagingUri: string;
  planOnly?: boolean;
  outcomes?: ReadRowsResult[];
}

export async function run(ctx: Ctx, staged?: StagedRun): Promise<ReadRowsArgs[] | undefined> {
  timelineMark('parquetExampleGen start');
  const p: Params = ctx.params;
  const { splitNames, ratios } = checkSplits(p.splits);
  const spans = hasSpanPlaceholder(p.input) ? selectSpans(p.input, ctx.pipelineDir, p.span_range, ctx.log) : undefined;
  const paths = spans ? spans.files : resolveInputFiles(ctx.resolvePath(p.input), false, ['.parquet', '.parq', '.pq']);
  const files: ParquetFile[] = [];
  for (const path of paths) files.push(await readFooter(path));
  for (const f of files.slice(1)) checkSameColumns(files[0], f);
  // A 64-bit column is Int32 only when it fits in every file.
  const columns = files[0].columns.map((c, j) => ({ ...c, kind: Math.max(...files.map((f) => f.columns[j].kind)) }));
  for (const key of p.split_key ?? []) {
    if (!columns.some((c) => c.name === key)) throw new UserError(`split_key column "${key}" is not a column of ${files[0].path}`, { field: 'split_key' });
  }
  const empty = files.find((f) => Number(f.meta.num_rows) === 0);
  if (empty) throw new UserError(`${empty.path}: the file has no rows`, { file: empty.path, field: 'input' });

  const shardBytes = Math.max(1, Math.round(p.shard_size_mb * 1024 * 1024));
  const outUri = staged?.stagingUri ?? ctx.outputs.examples.uri;
  const args: ReadRowsArgs[] = planShards(files, shardBytes).map((s, shardIndex) => ({
    ...s,
    columns,
    splitNames,
    ratios,
    splitKey: p.split_key,
    outUri,
    shardIndex,
  }));
  timelineMark(`parquetExampleGen planned ${args.length} shards`);
  if (staged?.planOnly) return args;

  let rowsDone = 0;
  const total = files.reduce((a, f) => a + Number(f.meta.num_rows), 0);
  const outcomes =
    staged?.outcomes ??
    (await ctx.pool.map<ReadRowsArgs, ReadRowsResult>('parquet.readRows', args, {
      signal: ctx.signal,
      onResult: (r) => {
        rowsDone += r.rows.reduce((a, b) => a + b, 0);
        ctx.progress({ done: rowsDone, total, unit: 'rows' });
      },
    }));
  const failed = outcomes.find((r) => r.error);
  if (failed) throw new UserError(failed.error!, { file: args[outcomes.indexOf(failed)].file, field: 'input' });
  timelineMark('parquetExampleGen read');
  if (staged) moveStagedShards(staged.stagingUri, ctx.outputs.examples.uri, splitNames);
  finishExamples(ctx.outputs.examples, ctx.log, ctx.progress, {
    splitNames,
    columns: columns.map((c) => ({ name: c.name, type: featureTypeOf(c.kind), ...(c.list ? { list: true } : {}) })),
    outcomes,
    inputs: `${files.length} Parquet file(s) in ${args.length} shard(s) of row groups`,
  });
  ctx.log.info(`columns: ${columns.map((c) => `${c.name} ${featureTypeOf(c.kind)} (Parquet ${c.parquetType})`).join(', ')}`);
  if (spans) recordSpans(ctx.outputs.examples, spans);
  timelineMark('parquetExampleGen finished');
  return undefined;
}
