/**
 * ImportExampleGen, main thread: resolve the TFRecord files, cut big uncompressed ones at record
 * boundaries, read each file or range in a pool worker with its own columns, settle the columns over all files (a feature that is a list anywhere is a list
 * everywhere; ints widen), re-read the few files written with narrower columns, record the Examples.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Static } from '@sinclair/typebox';
import { recordRanges } from '../../formats/tfrecord.ts';
import { UserError } from '../../core/errors.ts';
import type { ExecutorContext } from '../../core/component.ts';
import { hasSpanPlaceholder } from '../../util/spans.ts';
import { resolveInputFiles } from '../csv-example-gen/input-files.ts';
import { finishExamples, moveStagedShards, recordSpans, selectSpans, withCleanup } from '../example-gen-common/output.ts';
import { checkSplits } from '../example-gen-common/splits.ts';
import type { ImportColumn, ReadRecordsArgs, ReadRecordsResult } from './read-records.ts';
import type { importExampleGenParams, importExampleGenSpec } from './spec.ts';

export type Ctx = ExecutorContext<Record<string, never>, typeof importExampleGenSpec.outputs, typeof importExampleGenParams>;
type Params = Static<typeof importExampleGenParams>;

export const TFRECORD_EXTENSIONS = ['.tfrecord', '.tfrecords', '.tfrec', '.gz'];

export async function execute(ctx: Ctx): Promise<void> {
  await withCleanup(ctx.outputs.examples, () => run(ctx));
}

export interface StagedRun {
  stagingUri: string;
  planOnly?: boolean;
  firstPass?: ReadRecordsResult[];
}

/** The columns over all files, or a UserError for a feature whose type differs between files. */
export function mergeColumns(files: string[], results: ReadRecordsResult[]): ImportColumn[] {
  const merged = new Map<string, ImportColumn & { file: string }>();
  results.forEach((r, i) => {
    for (const c of r.columns) {
      const m = merged.get(c.name);
      if (!m) merged.set(c.name, { ...c, file: files[i] });
      else if (m.type !== c.type) {
        throw new UserError(`${files[i]}: feature "${c.name}" is ${c.type} here but ${m.type} in ${m.file}`, { file: files[i], field: 'input' });
      } else {
        m.list ||= c.list;
        m.kind = Math.max(m.kind, c.kind);
      }
    }
  });
  return [...merged.values()].map(({ file: _file, ...c }) => c).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether a file is read as GZIP: as named, or (auto) recognized by its first two bytes. */
function isGzip(file: string, compression: Params['compression']): boolean {
  if (compression !== 'auto') return compression === 'gzip';
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Read tasks by position (independent of the worker count): an uncompressed file larger than
 * `shardBytes` is cut at record boundaries found by a framing scan, so one big file feeds every
 * worker; a GZIP file is one task (a gzip stream cannot be entered in the middle).
 */
export function planShards(files: string[], compression: Params['compression'], shardBytes: number): Pick<ReadRecordsArgs, 'file' | 'range'>[] {
  return files.flatMap((file) => {
    if (isGzip(file, compression) || statSync(file).size <= shardBytes) return [{ file }];
    const ranges = recordRanges(file, shardBytes);
    return ranges.length > 1 ? ranges.map((range) => ({ file, range })) : [{ file }];
  });
}

const sameColumns = (a: ImportColumn[], b: ImportColumn[]) => JSON.stringify(a) === JSON.stringify(b);

export async function run(ctx: Ctx, staged?: StagedRun): Promise<ReadRecordsArgs[] | undefined> {
  const p: Params = ctx.params;
  const { splitNames, ratios } = checkSplits(p.splits);
  const spans = hasSpanPlaceholder(p.input) ? selectSpans(p.input, ctx.pipelineDir, p.span_range, ctx.log) : undefined;
  const files = spans ? spans.files : resolveInputFiles(ctx.resolvePath(p.input), false, TFRECORD_EXTENSIONS);
  const outUri = staged?.stagingUri ?? ctx.outputs.examples.uri;
  const args: ReadRecordsArgs[] = planShards(files, p.compression, Math.max(1, Math.round(p.shard_size_mb * 1024 * 1024))).map((s, shardIndex) => ({
    ...s,
    compression: p.compression,
    splitNames,
    ratios,
    splitKey: p.split_key,
    skipBadRows: p.skip_bad_rows,
    outUri,
    shardIndex,
  }));
  if (staged?.planOnly) return args;
  const fileOf = args.map((a) => a.file);

  let rowsDone = 0;
  const onResult = (r: ReadRecordsResult) => {
    rowsDone += r.rows.reduce((a, b) => a + b, 0);
    ctx.progress({ done: rowsDone, unit: 'rows' });
  };
  const results = staged?.firstPass ?? (await ctx.pool.map<ReadRecordsArgs, ReadRecordsResult>('tfrecord.readRecords', args, { signal: ctx.signal, onResult }));
  const failed = results.findIndex((r) => r.error);
  if (failed >= 0) throw new UserError(results[failed].error!, { file: fileOf[failed], field: 'input' });
  const columns = mergeColumns(fileOf, results);
  if (columns.length === 0) throw new UserError(`${files.join(', ')}: no tf.Example features found`, { field: 'input' });
  for (const key of p.split_key ?? []) {
    if (!columns.some((c) => c.name === key)) throw new UserError(`split_key feature "${key}" is in no record`, { field: 'split_key' });
  }
  const redo = results.map((r, i) => i).filter((i) => !sameColumns(results[i].columns, columns));
  if (redo.length > 0) {
    const unit = args.length === files.length ? 'file(s)' : 'shard(s)';
    ctx.log.info(`re-reading ${redo.length} of ${args.length} ${unit} with the columns of all files (list features or wider ints elsewhere)`);
    const again = await ctx.pool.map<ReadRecordsArgs, ReadRecordsResult>('tfrecord.readRecords', redo.map((i) => ({ ...args[i], columns })), { signal: ctx.signal });
    redo.forEach((i, n) => (results[i] = again[n]));
  }
  for (const file of files) {
    const mine = results.filter((_, i) => fileOf[i] === file);
    if (mine.every((r) => r.rows.every((n) => n === 0))) {
      const skipped = mine.reduce((n, r) => n + r.skipped, 0);
      throw new UserError(`${file}: ${skipped > 0 ? `all ${skipped} records are corrupt` : 'the file has no records'}`, { file, field: 'input' });
    }
  }
  if (staged) moveStagedShards(staged.stagingUri, ctx.outputs.examples.uri, splitNames);
  finishExamples(ctx.outputs.examples, ctx.log, ctx.progress, {
    splitNames,
    columns: columns.map((c) => ({ name: c.name, type: c.type, ...(c.list ? { list: true } : {}) })),
    outcomes: results,
    inputs: `${files.length} TFRecord file(s) in ${args.length} shard(s)`,
  });
  ctx.log.info(`features: ${columns.map((c) => `${c.name} ${c.type}${c.list ? ' list' : ''}`).join(', ')}`);
  if (spans) recordSpans(ctx.outputs.examples, spans);
  return undefined;
}
