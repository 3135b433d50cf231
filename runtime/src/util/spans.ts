/**
 * Spans and versions of input data, as TFX's ExampleGen understands them: an input pattern with a
 * `{SPAN}` placeholder (and optionally `{VERSION}`), e.g. `data/span-{SPAN}/v{VERSION}/*.csv`.
 * Each placeholder matches a run of digits; every file the pattern matches belongs to one
 * (span, version). By default the latest span is selected, within a span always its latest
 * version; a range selects several spans.
 *
 * This is the one place that decides which files a span pattern names: the cache key (via
 * expandInput) and CsvExampleGen both call it, so the files hashed are exactly the files ingested.
 */
import { isAbsolute, join, resolve, sep } from 'node:path';
import { globFiles, splitGlob } from './glob-files.ts';

export const SPAN = '{SPAN}';
export const VERSION = '{VERSION}';

/** Which spans to ingest. All fields optional: nothing set means the latest span. */
export interface SpanRange {
  /** First span, inclusive. */
  start?: number;
  /** Last span, inclusive (default: the latest available). */
  end?: number;
  /** The last N available spans (TFX's rolling range); not combined with start/end. */
  latest?: number;
}

export interface SpanSelection {
  span: number;
  /** Undefined when the pattern has no {VERSION}. */
  version?: number;
  /** Absolute paths, sorted. */
  files: string[];
}

export interface SpanResolution {
  /** Selected spans, ascending. Empty when nothing matched (see `problem`). */
  spans: SpanSelection[];
  /** Every span found on disk, ascending (for messages). */
  available: number[];
  /** All files of the selected spans, sorted. */
  files: string[];
  /** Why nothing was selected: a readable message for a UserError. */
  problem?: string;
}

export function hasSpanPlaceholder(pattern: string): boolean {
  return pattern.includes(SPAN);
}

/** Problems with the pattern itself (not with the files on disk); undefined when fine. */
export function spanPatternProblem(pattern: string): string | undefined {
  if (pattern.includes(VERSION) && !pattern.includes(SPAN)) return `"${pattern}" has ${VERSION} but no ${SPAN}; a version belongs to a span`;
  return undefined;
}

export function spanRangeProblem(range: SpanRange | undefined): string | undefined {
  if (!range) return undefined;
  const { start, end, latest } = range;
  if (latest !== undefined && (start !== undefined || end !== undefined)) return 'span range: use either latest or start/end, not both';
  if (start !== undefined && end !== undefined && start > end) return `span range: start ${start} is after end ${end}`;
  return undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.+^$()|\\]/g, '\\$&');

/**
 * A regular expression for a whole path pattern: {SPAN}/{VERSION} capture digits (a repeated
 * placeholder must repeat the same number), `**` any folders, `*` and `?` within a name,
 * `{a,b}` alternatives, `[...]` classes.
 */
export function spanPatternRegExp(pattern: string): RegExp {
  let re = '';
  let spanSeen = false;
  let versionSeen = false;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith(SPAN, i)) {
      re += spanSeen ? '\\k<span>' : '(?<span>\\d+)';
      spanSeen = true;
      i += SPAN.length - 1;
      continue;
    }
    if (pattern.startsWith(VERSION, i)) {
      re += versionSeen ? '\\k<version>' : '(?<version>\\d+)';
      versionSeen = true;
      i += VERSION.length - 1;
      continue;
    }
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:[^/]*/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const close = pattern.indexOf('}', i);
      if (close < 0) re += '\\{';
      else {
        const options = pattern.slice(i + 1, close).split(',').map((a) => escapeRegExp(a).replace(/\*/g, '[^/]*'));
        re += `(?:${options.join('|')})`;
        i = close;
      }
    } else if (c === '[') {
      const close = pattern.indexOf(']', i);
      if (close < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

/** Every (span, version) the pattern matches on disk, with its files; spans and versions ascending. */
export function listSpans(pattern: string, baseDir: string): { span: number; version?: number; files: string[] }[] {
  const abs = toPosix(isAbsolute(pattern) ? pattern : resolve(baseDir, pattern));
  const matcher = spanPatternRegExp(abs);
  // The placeholders as `*` for the walk (the shared one: see paths.ts); the regex then reads them.
  const { dir, glob } = splitGlob(abs.replaceAll(SPAN, '*').replaceAll(VERSION, '*'));
  const all = globFiles(dir, glob).map(toPosix);
  const groups = new Map<string, { span: number; version?: number; files: string[] }>();
  for (const file of all) {
    const m = matcher.exec(file);
    if (!m?.groups) continue;
    const span = Number(m.groups.span);
    const version = m.groups.version === undefined ? undefined : Number(m.groups.version);
    const key = `${span}/${version ?? ''}`;
    const group = groups.get(key) ?? { span, version, files: [] };
    group.files.push(sep === '/' ? file : join(...file.split('/')));
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, files: g.files.sort() }))
    .sort((a, b) => a.span - b.span || (a.version ?? 0) - (b.version ?? 0));
}

/** The spans (each at its latest version) a pattern and range select. */
export function resolveSpans(pattern: string, baseDir: string, range?: SpanRange): SpanResolution {
  const patternProblem = spanPatternProblem(pattern) ?? spanRangeProblem(range);
  if (patternProblem) return { spans: [], available: [], files: [], problem: patternProblem };
  const latestVersion = new Map<number, { span: number; version?: number; files: string[] }>();
  for (const g of listSpans(pattern, baseDir)) latestVersion.set(g.span, g); // ascending: the last one wins
  const available = [...latestVersion.keys()];
  if (available.length === 0) return { spans: [], available, files: [], problem: `input pattern "${pattern}" matches no span` };

  let spans: number[];
  if (!range || (range.start === undefined && range.end === undefined && range.latest === undefined)) spans = [available[available.length - 1]];
  else if (range.latest !== undefined) spans = available.slice(-range.latest);
  else spans = available.filter((s) => s >= (range.start ?? 0) && s <= (range.end ?? Infinity));

  if (spans.length === 0) {
    const wanted = `${range?.start ?? 0}..${range?.end ?? 'latest'}`;
    return { spans: [], available, files: [], problem: `no span of "${pattern}" lies in the range ${wanted} (available: ${available.join(', ')})` };
  }
  const selected = spans.map((s) => latestVersion.get(s)!);
  return { spans: selected, available, files: selected.flatMap((s) => s.files).sort() };
}
