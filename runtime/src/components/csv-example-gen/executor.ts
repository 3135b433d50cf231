/**
 * CsvExampleGen, main thread: resolve files, read headers, infer kinds from a sample, cut the
 * input into byte ranges (shards), parse ranges in pool workers, then make the results
 * consistent: ranges must chain (a speculative range start can be wrong inside a quoted field)
 * and every shard must use the final column kinds. Both are checked after the fact and the few
 * affected ranges re-run, so the common case is one parallel pass.
 */
import type { Static } from '@sinclair/typebox';
import { UserError } from '../../core/errors.ts';
import { type ExecutorContext } from '../../core/component.ts';
import type { csvExampleGenOutputs, csvExampleGenParams } from './spec.ts';
import { type CsvSample, SAMPLE_BYTES, inferCsvKinds, inferJsonlColumns } from './infer.ts';
import { detectFormat, readCsvFile, readJsonlFile, resolveInputFiles, type InputFile, type InputFormat } from './input-files.ts';
import type { ParseRangeArgs, ParseRangeResult, TextValue } from './range-parser.ts';
import { RangeReader } from './range-reader.ts';
import { timelineMark } from '../../util/pool-timeline.ts';
import { KIND_I32, KIND_NAMES, KIND_STR, featureTypeOf } from './values.ts';
import { hasSpanPlaceholder } from '../../util/spans.ts';
import { finishExamples, moveStagedShards, recordSpans, selectSpans, withCleanup } from '../example-gen-common/output.ts';
import { checkSplits } from '../example-gen-common/splits.ts';

type Ctx = ExecutorContext<Record<string, never>, typeof csvExampleGenOutputs, typeof csvExampleGenParams>;
type Params = Static<typeof csvExampleGenParams>;

interface Range {
  file: InputFile;
  start: number;
  end: number;
  knownStart?: number;
  firstInFile: boolean;
}

function delimiterByte(delimiter: string): number {
  const code = delimiter === '\\t' ? 9 : delimiter.charCodeAt(0);
  if ((delimiter.length !== 1 && delimiter !== '\\t') || code > 127 || code === 34 || code === 10 || code === 13) {
    throw new UserError(`delimiter must be one ASCII character other than a quote or newline, got ${JSON.stringify(delimiter)}`, { field: 'delimiter' });
  }
  return code;
}

/**
 * Ranges per file are equal in size (no small tail range), and when the input needs more than one
 * range their total count is rounded up to a multiple of RANGE_COUNT_MULTIPLE. Pools of 1, 2 or 4
 * workers then get equal shares instead of, say, 5 vs 4 ranges of 9 (a 10% longer wall time on 2
 * workers). The plan depends only on file sizes and `shard_size_mb`, never on the pool size, so the
 * output is the same for any number of workers.
 */
export const RANGE_COUNT_MULTIPLE = 4;

export function planRangeCounts(dataBytes: number[], shardBytes: number): number[] {
  // A file with a header and no rows gets no range (checkFilesHaveRows reports it).
  const counts = dataBytes.map((b) => (b > 0 ? Math.ceil(b / shardBytes) : 0));
  let total = counts.reduce((a, b) => a + b, 0);
  if (total <= 1) return counts;
  while (total % RANGE_COUNT_MULTIPLE !== 0) {
    // The extra range goes to the file whose ranges are largest (first such file on ties).
    let widest = -1;
    for (let f = 0; f < counts.length; f++) {
      if (counts[f] > 0 && (widest < 0 || dataBytes[f] / counts[f] > dataBytes[widest] / counts[widest])) widest = f;
    }
    counts[widest]++;
    total++;
  }
  return counts;
}

function planRanges(files: InputFile[], shardBytes: number): Range[] {
  const counts = planRangeCounts(files.map((f) => f.size - f.dataStart), shardBytes);
  const ranges: Range[] = [];
  files.forEach((file, f) => {
    const bytes = file.size - file.dataStart;
    let first = true;
    for (let r = 0; r < counts[f]; r++) {
      // Integer cut points spread the remainder over the ranges.
      const start = file.dataStart + Math.floor((bytes * r) / counts[f]);
      const end = file.dataStart + Math.floor((bytes * (r + 1)) / counts[f]);
      if (end === start) continue; // more ranges than bytes: only in tiny test inputs
      ranges.push({ file, start, end, knownStart: first ? start : undefined, firstInFile: first });
      first = false;
    }
  });
  return ranges;
}

function sampleKinds(file: InputFile, format: InputFormat, delimiter: number): { columns: string[]; kinds: number[]; rowBytes?: number } & Partial<CsvSample> {
  const end = Math.min(file.size, file.dataStart + SAMPLE_BYTES);
  const reader = new RangeReader(file.path, file.dataStart, end, end);
  try {
    const buf = reader.buf.subarray(0, reader.length);
    const atEof = end === file.size;
    if (format === 'jsonl') return inferJsonlColumns(buf, atEof);
    return { columns: file.columns, ...inferCsvKinds(buf, 0, atEof, file.columns.length, delimiter) };
  } finally {
    reader.close();
  }
}

export async function execute(ctx: Ctx): Promise<void> {
  await withCleanup(ctx.outputs.examples, () => run(ctx));
}

/**
 * How fan-out steps (fan-out.ts) use this same code: shards are staged in `stagingUri`; the plan
 * step stops before parsing and takes the first pass's arguments, the merge step hands in the
 * first pass its map steps computed and moves the staged shards into the output at the end.
 */
export interface StagedRun {
  stagingUri: string;
  planOnly?: boolean;
  firstPass?: ParseRangeResult[];
}

export async function run(ctx: Ctx, staged?: StagedRun): Promise<ParseRangeArgs[] | undefined> {
  timelineMark('csvExampleGen start');
  const p: Params = ctx.params;
  const { splitNames, ratios } = checkSplits(p.splits);
  const delimiter = delimiterByte(p.delimiter);
  const spans = hasSpanPlaceholder(p.input) ? selectSpans(p.input, ctx.pipelineDir, p.span_range, ctx.log) : undefined;
  const paths = spans ? spans.files : resolveInputFiles(ctx.resolvePath(p.input), p.format !== 'auto');
  const format = detectFormat(paths, p.format);
  const files = paths.map((f) => (format === 'csv' ? readCsvFile(f, delimiter) : readJsonlFile(f)));
  for (const w of files[0].warnings ?? []) ctx.log.warn(w);
  if (format === 'csv') {
    const header = files[0].columns.join('\u0000');
    const other = files.find((f) => f.columns.join('\u0000') !== header);
    if (other) {
      throw new UserError(`${other.path}:1: header differs from ${files[0].path} (all CSV shards must have the same columns in the same order)`, { file: other.path, line: 1 });
    }
    for (const key of p.split_key ?? []) {
      if (!files[0].columns.includes(key)) throw new UserError(`split_key column "${key}" is not in the header of ${files[0].path}`, { field: 'split_key' });
    }
  }

  const shardBytes = Math.max(1, Math.round(p.shard_size_mb * 1024 * 1024));
  const ranges = planRanges(files, shardBytes);
  timelineMark(`csvExampleGen planned ${ranges.length} ranges`);
  const sample = sampleKinds(files[0], format, delimiter);
  timelineMark('csvExampleGen sampled kinds');
  let { columns, kinds } = sample;
  const outUri = staged?.stagingUri ?? ctx.outputs.examples.uri;
  const results: ParseRangeResult[] = new Array(ranges.length);
  let rowsDone = 0;

  const argsFor = (i: number): ParseRangeArgs => ({
    file: ranges[i].file.path,
    format,
    start: ranges[i].start,
    end: ranges[i].end,
    fileSize: ranges[i].file.size,
    knownStart: ranges[i].knownStart,
    delimiter,
    columns,
    kinds,
    splitNames,
    ratios,
    splitKey: p.split_key,
    skipBadRows: p.skip_bad_rows,
    rowBytesHint: sample.rowBytes,
    outUri,
    shardIndex: i,
  });
  if (staged?.planOnly) return ranges.map((_, i) => argsFor(i));

  // Where each numeric column first met text: the sample's rows first, then the parsed ranges'.
  const firstText = new Map<number, TextValue & { file: string }>();
  for (const t of sample.firstText ?? []) firstText.set(t.column, { ...t, line: files[0].headerLines + 1 + t.line, file: files[0].path });
  const absolute = new WeakSet<ParseRangeResult>();
  let todo = ranges.map((_, i) => i);
  for (let pass = 1; todo.length > 0; pass++) {
    const got = pass === 1 && staged?.firstPass ? staged.firstPass : await ctx.pool.map<ParseRangeArgs, ParseRangeResult>('csv.parseRange', todo.map(argsFor), {
      signal: ctx.signal,
      onResult: (r) => {
        if (r.dirty || r.error) return;
        rowsDone += r.rows.reduce((a, b) => a + b, 0);
        ctx.progress({ done: rowsDone, unit: 'rows' });
      },
    });
    todo.forEach((i, n) => (results[i] = got[n]));
    await chainRanges(ctx, ranges, results, argsFor, absolute);
    results.forEach((r, i) => {
      for (const t of r.firstText) if (!firstText.has(t.column) && sample.numeric?.[t.column]) firstText.set(t.column, { ...t, file: ranges[i].file.path });
    });

    // Merge kinds (and JSONL keys) over all ranges; re-run the shards written with narrower ones.
    const width = columns.length;
    const merged = [...kinds];
    const added: string[] = [];
    for (const r of results) {
      for (let j = 0; j < width; j++) merged[j] = Math.max(merged[j], r.kinds[j]);
      r.newColumns.forEach((name, n) => {
        let a = added.indexOf(name);
        if (a < 0) {
          added.push(name);
          merged.push(KIND_I32);
          a = added.length - 1;
        }
        merged[width + a] = Math.max(merged[width + a], r.kinds[width + n]);
      });
    }
    columns = [...columns, ...added];
    kinds = merged;
    todo = ranges.map((_, i) => i).filter((i) => results[i].dirty || added.length > 0 || results[i].kinds.some((k, j) => k !== kinds[j]));
    if (todo.length > 0) {
      const widened = columns.map((c, j) => `${c}: ${KIND_NAMES[kinds[j]]}`).filter((_, j) => todo.some((i) => results[i].kinds[j] !== kinds[j]) || j >= width);
      ctx.log.info(`pass ${pass}: values beyond the sampled types (${widened.join(', ')}); re-parsing ${todo.length} of ${ranges.length} shards`);
      rowsDone = 0;
    }
  }

  for (const key of format === 'jsonl' ? (p.split_key ?? []) : []) {
    if (!columns.includes(key)) throw new UserError(`split_key "${key}" is not a key of any row`, { field: 'split_key' });
  }
  timelineMark('csvExampleGen parsed');
  checkFilesHaveRows(files, ranges, results, format);
  for (const [j, t] of [...firstText].sort((a, b) => a[0] - b[0])) {
    if (kinds[j] !== KIND_STR) continue;
    ctx.log.warn(`${t.file}:${t.line}: column "${columns[j]}" holds numbers until ${JSON.stringify(t.value)} here, so it is STRING (it would have been ${featureTypeOf(t.was)})`);
  }
  if (staged) moveStagedShards(staged.stagingUri, ctx.outputs.examples.uri, splitNames);
  finish(ctx, { splitNames, columns, kinds, ranges, results });
  if (spans) recordSpans(ctx.outputs.examples, spans);
  timelineMark('csvExampleGen finished');
  return undefined;
}

/**
 * Makes ranges chain: a speculative start is wrong when a range begins inside a quoted field
 * holding a newline (or after malformed quoting); such a range re-runs from where the previous
 * one stopped. Then turns relative line numbers absolute (once per result) and reports the first
 * error in input order.
 */
async function chainRanges(ctx: Ctx, ranges: Range[], results: ParseRangeResult[], argsFor: (i: number) => ParseRangeArgs, absolute: WeakSet<ParseRangeResult>): Promise<void> {
  let line = 0;
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i];
    if (range.firstInFile) line = range.file.headerLines + 1;
    else if (results[i].firstRowStart !== results[i - 1].stop) {
      range.knownStart = results[i - 1].stop;
      results[i] = await ctx.pool.run<ParseRangeResult>('csv.parseRange', argsFor(i), { signal: ctx.signal });
    }
    const r = results[i];
    range.knownStart = r.firstRowStart;
    const file = range.file.path;
    if (r.error) {
      const at = line + r.error.line;
      throw new UserError(`${file}:${at}: ${r.error.message}`, { file, line: at });
    }
    // A result kept from an earlier pass has absolute lines already.
    if (!absolute.has(r)) {
      for (const s of r.skippedSamples) s.line += line;
      r.skippedSamples.forEach((s) => (s.message = `${file}:${s.line}: ${s.message}`));
      for (const t of r.firstText) t.line += line;
      absolute.add(r);
    }
    line += r.lines;
  }
}

function checkFilesHaveRows(files: InputFile[], ranges: Range[], results: ParseRangeResult[], format: InputFormat): void {
  for (const file of files) {
    let rows = 0;
    let skipped = 0;
    ranges.forEach((r, i) => {
      if (r.file !== file) return;
      rows += results[i].rows.reduce((a, b) => a + b, 0);
      skipped += results[i].skipped;
    });
    if (rows > 0) continue;
    const line = file.headerLines + 1;
    const what = skipped > 0 ? `all ${skipped} rows are malformed` : format === 'csv' ? 'the file has a header but no data rows' : 'the file has no rows';
    throw new UserError(`${file.path}:${line}: ${what}`, { file: file.path, line });
  }
}

function finish(
  ctx: Ctx,
  { splitNames, columns, kinds, ranges, results }: { splitNames: string[]; columns: string[]; kinds: number[]; ranges: Range[]; results: ParseRangeResult[] },
): void {
  const fileCount = new Set(ranges.map((r) => r.file.path)).size;
  const props = finishExamples(ctx.outputs.examples, ctx.log, ctx.progress, {
    splitNames,
    columns: columns.map((name, j) => ({ name, type: featureTypeOf(kinds[j]) })),
    outcomes: results,
    inputs: `${fileCount} file(s) in ${ranges.length} input shard(s)`,
  });
  ctx.log.info(`columns: ${props.columns.map((c) => `${c.name} ${c.type}${kinds[columns.indexOf(c.name)] === 1 ? ' (float64 storage)' : ''}`).join(', ')}`);
}
