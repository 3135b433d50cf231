/**
 * The executor-side steps every ExampleGen shares once its shards are written: which spans to
 * read, staging for fan-out runs, removing a failed run's shards, and recording the Examples
 * properties (rows per split, shards in input order, columns, skipped rows).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { splitDir, type ColumnInfo, type ExamplesProperties } from '../../formats/examples.ts';
import { UserError } from '../../core/errors.ts';
import type { NodeLogger, OutputArtifact, Progress } from '../../core/component.ts';
import { resolveSpans, type SpanResolution } from '../../util/spans.ts';

/** What one shard task (a byte range, row groups, a file) wrote. */
export interface ShardOutcome {
  /** Rows per split, in split order. */
  rows: number[];
  /** Arrow file name per split (relative to the split folder); null when the split got no rows. */
  files: (string | null)[];
  skipped: number;
  skippedSamples: { message: string }[];
}

/** The files of the selected spans: the same resolution the cache key hashed (util/spans.ts). */
export function selectSpans(input: string, pipelineDir: string, range: Parameters<typeof resolveSpans>[2], log: NodeLogger): SpanResolution {
  const resolution = resolveSpans(input, pipelineDir, range);
  if (resolution.problem) throw new UserError(resolution.problem, { field: resolution.problem.startsWith('span range') ? 'span_range' : 'input' });
  const shown = resolution.spans.map((s) => `span ${s.span}${s.version !== undefined ? ` version ${s.version}` : ''} (${s.files.length} file(s))`);
  log.info(`reading ${shown.join(', ')} of ${resolution.available.length} span(s) found: ${resolution.available.join(', ')}`);
  return resolution;
}

/** TFX records the span (and version) on the Examples; with a range, the latest span read. */
export function recordSpans(out: OutputArtifact, spans: SpanResolution): void {
  const last = spans.spans[spans.spans.length - 1];
  const props: Partial<ExamplesProperties> = { span: last.span, ...(last.version !== undefined ? { version: last.version } : {}) };
  if (spans.spans.length > 1) props.spans = spans.spans.map((s) => ({ span: s.span, version: s.version }));
  Object.assign(out.properties, props);
}

export function moveStagedShards(from: string, to: string, splitNames: string[]): void {
  for (const split of splitNames) {
    const source = splitDir(from, split);
    if (!existsSync(source)) continue;
    mkdirSync(splitDir(to, split), { recursive: true });
    for (const f of readdirSync(source)) renameSync(join(source, f), join(splitDir(to, split), f));
  }
}

/** Runs an ExampleGen's body; a failed run leaves no shards behind (nothing half-written). */
export async function withCleanup(out: OutputArtifact, body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (e) {
    for (const entry of existsSync(out.uri) ? readdirSync(out.uri) : []) {
      if (entry.startsWith('Split-')) rmSync(join(out.uri, entry), { recursive: true, force: true });
    }
    throw e;
  }
}

/**
 * Records the Examples properties from the shard outcomes (in input order), removes shards a
 * redone task left behind, reports progress and logs the summary. Returns the properties.
 */
export function finishExamples(
  out: OutputArtifact,
  log: NodeLogger,
  progress: (p: Progress) => void,
  { splitNames, columns, outcomes, inputs }: { splitNames: string[]; columns: ColumnInfo[]; outcomes: ShardOutcome[]; inputs: string },
): ExamplesProperties {
  const props: ExamplesProperties = {
    splitNames,
    splits: {},
    columns,
    skippedRows: outcomes.reduce((a, r) => a + r.skipped, 0),
  };
  splitNames.forEach((split, s) => {
    const shards = outcomes.map((r) => r.files[s]).filter((f): f is string => f !== null);
    props.splits[split] = { rows: outcomes.reduce((a, r) => a + r.rows[s], 0), shards };
    // Shards written by a task that was later redone (wrong start, narrower kinds) must go.
    const dir = splitDir(out.uri, split);
    mkdirSync(dir, { recursive: true });
    const keep = new Set(shards);
    for (const f of readdirSync(dir)) if (!keep.has(f)) unlinkSync(join(dir, f));
  });
  const totalRows = splitNames.reduce((a, s) => a + props.splits[s].rows, 0);
  progress({ done: totalRows, total: totalRows, unit: 'rows' });
  const shardCount = splitNames.reduce((a, s) => a + props.splits[s].shards.length, 0);
  log.info(`${totalRows} rows from ${inputs}, ${shardCount} Arrow file(s): ` + splitNames.map((s) => `${s} ${props.splits[s].rows}`).join(', '));
  if (props.skippedRows > 0) {
    log.warn(`skipped ${props.skippedRows} malformed row(s); first: ${outcomes.flatMap((r) => r.skippedSamples.map((s) => s.message)).slice(0, 5).join('; ')}`);
  }
  out.properties = { ...out.properties, ...props };
  return props;
}
