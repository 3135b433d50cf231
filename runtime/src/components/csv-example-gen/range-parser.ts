/**
 * Worker side: parse one byte range of a CSV or JSONL file into per-split column builders and
 * write `Split-<name>/part-<shard>.arrow`. Columns are parsed with the kinds the executor passes;
 * a value that does not fit widens its column (numbers in place, strings by marking the range
 * dirty: nothing written, kinds reported back, the executor re-runs with the wider kinds).
 *
 * Line numbers are relative to the range's first row; the executor makes them absolute once it
 * has checked that ranges chain (each range's first row starts where the previous one stopped).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shardFileName, splitDir } from '../../formats/examples.ts';
import { ColumnBuilder, toArrowFile } from './column-builders.ts';
import { badRowEnd, MAX_BAD_ROW_LINES, type RowShape, swallowedRowAt } from './bad-row.ts';
import {
  CR,
  FIELD_ESCAPED,
  LF,
  RecordScan,
  SCAN_ERROR_MESSAGES,
  SCAN_NEED_MORE,
  SCAN_OK,
  countLines,
  unescapeInto,
} from './csv-scanner.ts';
import { MAX_RECORD_BYTES, RangeReader } from './range-reader.ts';
import { SPLIT_SEED, murmur3, splitBounds, splitOf } from './row-hash.ts';
import { firstInvalidUtf8 } from './utf8.ts';
import { KIND_F64, KIND_I32, KIND_I53, KIND_STR, MISSING, classifyBytes, classifyJson, parseFloatBytes, parseIntBytes } from './values.ts';

export interface ParseRangeArgs {
  file: string;
  format: 'csv' | 'jsonl';
  /** File byte range [start, end): rows that start inside it are this range's. */
  start: number;
  end: number;
  fileSize: number;
  /** Where the first row starts when already known (first range of a file, or a re-run). */
  knownStart?: number;
  delimiter: number;
  columns: string[];
  kinds: number[];
  splitNames: string[];
  ratios: number[];
  splitKey?: string[];
  skipBadRows: boolean;
  /** Average bytes per row seen in the sample: sizes the column builders up front. */
  rowBytesHint?: number;
  outUri: string;
  shardIndex: number;
}

export interface ParseRangeResult {
  firstRowStart: number;
  /** File offset after the last row parsed: the next range's first row must start here. */
  stop: number;
  /** LF bytes in [firstRowStart, stop). */
  lines: number;
  rows: number[];
  files: (string | null)[];
  kinds: number[];
  /** JSONL keys not in `columns`, in order of first appearance. */
  newColumns: string[];
  /** Something needs a re-run (a string widening or new column): nothing was written. */
  dirty: boolean;
  skipped: number;
  skippedSamples: { line: number; message: string }[];
  /** CSV: per column, the first value that made a numeric column text (line relative to the range). */
  firstText: TextValue[];
  error?: { line: number; message: string };
}

/** A text value in a column that held numbers: where, what, and the column's kind before it. */
export interface TextValue {
  column: number;
  line: number;
  value: string;
  was: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_SKIP_SAMPLES = 5;

class BadRow extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Append state shared by the CSV and JSONL paths. */
class RangeOutput {
  readonly builders: ColumnBuilder[][];
  readonly rows: number[];
  readonly bounds: Float64Array;
  dirty = false;
  skipped = 0;
  readonly skippedSamples: { line: number; message: string }[] = [];
  scratch = Buffer.allocUnsafe(4096);

  constructor(
    readonly args: ParseRangeArgs,
    readonly columns: string[],
    readonly kinds: number[],
  ) {
    const total = args.ratios.reduce((a, b) => a + b, 0);
    const rows = args.rowBytesHint ? (args.end - args.start) / args.rowBytesHint : 0;
    this.builders = args.splitNames.map((_, s) => {
      const capacity = Math.max(1024, Math.ceil(((rows * args.ratios[s]) / total) * 1.05));
      return columns.map((c, j) => new ColumnBuilder(c, kinds[j], capacity));
    });
    this.rows = args.splitNames.map(() => 0);
    this.bounds = splitBounds(args.ratios);
  }

  readonly firstText: TextValue[] = [];

  /** Notes the first text value of a column that was numeric so far (kind STR over a lower kind). */
  /** `rowLine`, `rowStart`: the line and position where the cell's record starts. */
  noteText(j: number, kind: number, buf: Buffer, s: number, e: number, rowLine: number, rowStart: number): void {
    if (kind !== KIND_STR || this.kinds[j] >= KIND_STR || this.firstText.some((t) => t.column === j)) return;
    const line = rowLine + countLines(buf, rowStart, s);
    this.firstText.push({ column: j, line, value: buf.toString('utf8', s, Math.min(e, s + 60)), was: this.kinds[j] });
  }

  /** Widens column j to at least `kind` in every split's builder. */
  widen(j: number, kind: number): void {
    if (kind <= this.kinds[j]) return;
    this.kinds[j] = kind;
    if (kind === KIND_STR) {
      this.dirty = true;
      return;
    }
    if (!this.dirty) for (const cols of this.builders) cols[j].widenToFloat(kind);
  }

  addColumn(name: string): number {
    this.columns.push(name);
    this.kinds.push(KIND_I32);
    this.dirty = true;
    return this.columns.length - 1;
  }

  bad(message: string, line: number): void {
    if (!this.args.skipBadRows) throw new BadRow(message, line);
    this.skipped++;
    if (this.skippedSamples.length < MAX_SKIP_SAMPLES) this.skippedSamples.push({ line, message });
  }

  ensureScratch(n: number): void {
    if (n > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(n, this.scratch.length * 2));
  }

  write(): (string | null)[] {
    return this.args.splitNames.map((split, s) => {
      if (this.dirty || this.rows[s] === 0) return null;
      const dir = splitDir(this.args.outUri, split);
      mkdirSync(dir, { recursive: true });
      const name = shardFileName(this.args.shardIndex);
      writeFileSync(join(dir, name), toArrowFile(this.builders[s], this.rows[s]));
      return name;
    });
  }
}

/** Appends a CSV cell if it fits `kind`; false when the column must widen first. */
function appendCell(col: ColumnBuilder, kind: number, buf: Buffer, s: number, e: number, flag: number, out: RangeOutput): boolean {
  switch (kind) {
    case KIND_I32: {
      if (flag === FIELD_ESCAPED) return false;
      const v = parseIntBytes(buf, s, e);
      if (!(v >= INT32_MIN && v <= INT32_MAX)) return false;
      col.appendInt(v);
      return true;
    }
    case KIND_I53: {
      if (flag === FIELD_ESCAPED) return false;
      const v = parseIntBytes(buf, s, e);
      if (v !== v) return false;
      col.appendFloat(v);
      return true;
    }
    case KIND_F64: {
      if (flag === FIELD_ESCAPED) return false;
      const v = parseFloatBytes(buf, s, e);
      if (v !== v) return false;
      col.appendFloat(v);
      return true;
    }
    default:
      if (flag === FIELD_ESCAPED) {
        out.ensureScratch(e - s);
        col.appendBytes(out.scratch, 0, unescapeInto(buf, s, e, out.scratch));
      } else col.appendBytes(buf, s, e);
      return true;
  }
}

/** First-row start when it is not known: just after the first LF at or after start - 1. */
function speculativeStart(reader: RangeReader): number {
  for (;;) {
    const k = reader.buf.indexOf(LF, 0);
    if (k >= 0 && k < reader.length) return k + 1;
    if (!reader.more()) return reader.length;
  }
}

export function parseRange(args: ParseRangeArgs): ParseRangeResult {
  const readFrom = args.knownStart ?? args.start - 1;
  const reader = new RangeReader(args.file, readFrom, args.end, args.fileSize);
  const columns = [...args.columns];
  const kinds = [...args.kinds];
  const out = new RangeOutput(args, columns, kinds);
  const first = args.knownStart === undefined ? speculativeStart(reader) : 0;
  const state = { pos: first, lines: 0 };
  let error: ParseRangeResult['error'];
  try {
    if (args.format === 'csv') parseCsv(reader, state, out);
    else parseJsonl(reader, state, out);
  } catch (e) {
    if (!(e instanceof BadRow)) throw e;
    error = { line: e.line, message: e.message };
  } finally {
    reader.close();
  }
  const files = error ? args.splitNames.map(() => null) : out.write();
  for (const cols of out.builders) for (const c of cols) c.release();
  return {
    firstRowStart: reader.base + first,
    stop: reader.base + state.pos,
    lines: state.lines,
    rows: out.rows,
    files,
    kinds,
    newColumns: columns.slice(args.columns.length),
    dirty: out.dirty,
    skipped: out.skipped,
    skippedSamples: out.skippedSamples,
    firstText: out.firstText,
    error,
  };
}

/** Tracks the first invalid UTF-8 byte ahead of the rows being parsed, checked in big blocks. */
class Utf8Guard {
  checkedTo: number;
  bad = -1;
  constructor(from: number) {
    this.checkedTo = from;
  }
  /** Position of a bad byte in [pos, next), or -1. `next` must be a record boundary. */
  find(reader: RangeReader, pos: number, next: number): number {
    if (this.bad < 0 && next > this.checkedTo) {
      let until = reader.atEof ? reader.length : reader.buf.lastIndexOf(LF, reader.length - 1) + 1;
      if (until < next) until = next;
      this.bad = firstInvalidUtf8(reader.buf, this.checkedTo, until);
      this.checkedTo = until;
    }
    return this.bad >= pos && this.bad < next ? this.bad : -1;
  }
  /** After a bad row is skipped: look again from its end. */
  resume(next: number): void {
    this.bad = -1;
    this.checkedTo = next;
  }
}

function utf8Message(buf: Buffer, at: number): string {
  return `invalid UTF-8 byte 0x${buf[at].toString(16).padStart(2, '0')} (the file must be UTF-8 encoded)`;
}

/** Not a scanner code: the record outgrew MAX_RECORD_BYTES past the range end. */
const ERR_TOO_LONG = -1;
const UNTERMINATED_IN_LINE = 'unterminated quoted field (a quote opened in this row is still open at the end of the line; the next line is a complete row)';

function tooLong(): string {
  return `a record is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MB (unterminated quoted field?)`;
}

function parseCsv(reader: RangeReader, state: { pos: number; lines: number }, out: RangeOutput): void {
  const { args, kinds, builders, bounds } = out;
  const ncols = args.columns.length;
  const delim = args.delimiter;
  const end = args.end - reader.base;
  const scan = new RecordScan(ncols + 1);
  const shape: RowShape = { ncols, delim, probe: new RecordScan(ncols + 1) };
  const utf8 = new Utf8Guard(state.pos);
  const keyCols = args.splitKey?.map((k) => args.columns.indexOf(k));
  const nsplits = args.splitNames.length;
  let pos = state.pos;
  let lines = 0;
  try {
    while (pos < end) {
      const buf = reader.buf;
      const c = buf[pos];
      if (c === LF) {
        pos++;
        lines++;
        continue;
      }
      if (c === CR && pos + 1 < reader.length && buf[pos + 1] === LF) {
        pos += 2;
        lines++;
        continue;
      }
      let rc = scan.scan(buf, pos, reader.length, reader.atEof, delim);
      if (rc === SCAN_NEED_MORE) {
        if (reader.more()) continue;
        rc = ERR_TOO_LONG;
      }
      const bad = malformedRow(reader, pos, lines, rc, scan, shape);
      if (bad) {
        out.bad(bad.message, bad.line);
        lines += countLines(reader.buf, pos, bad.next);
        pos = bad.next;
        utf8.resume(pos);
        continue;
      }
      const next = scan.next;
      const badByte = utf8.find(reader, pos, next);
      if (badByte >= 0) {
        out.bad(utf8Message(buf, badByte), lines + countLines(buf, pos, badByte));
        utf8.resume(next);
      } else if (scan.count !== ncols) {
        out.bad(`row has ${scan.count} fields but the header has ${ncols}`, lines);
      } else {
        let split = 0;
        if (nsplits > 1) {
          let h: number;
          if (keyCols) {
            h = SPLIT_SEED;
            for (const j of keyCols) h = murmur3(buf, scan.starts[j], scan.ends[j], h);
          } else h = murmur3(buf, pos, scan.contentEnd, SPLIT_SEED);
          split = splitOf(h, bounds);
        }
        if (out.dirty) {
          for (let j = 0; j < ncols; j++) {
            const k = classifyBytes(buf, scan.starts[j], scan.ends[j], scan.flags[j] === FIELD_ESCAPED);
            out.noteText(j, k, buf, scan.starts[j], scan.ends[j], lines, pos);
            if (k > kinds[j]) kinds[j] = k;
          }
        } else {
          const cols = builders[split];
          for (let j = 0; j < ncols; j++) {
            const s = scan.starts[j];
            const e = scan.ends[j];
            if (s === e) {
              cols[j].appendNull();
              continue;
            }
            if (appendCell(cols[j], kinds[j], buf, s, e, scan.flags[j], out)) continue;
            const wider = classifyBytes(buf, s, e, scan.flags[j] === FIELD_ESCAPED);
            out.noteText(j, wider, buf, s, e, lines, pos);
            out.widen(j, wider);
            if (out.dirty) {
              // Columns before j hold this row already; the range will not be written anyway.
              for (let r = j + 1; r < ncols; r++) {
                const k = classifyBytes(buf, scan.starts[r], scan.ends[r], scan.flags[r] === FIELD_ESCAPED);
                out.noteText(r, k, buf, scan.starts[r], scan.ends[r], lines, pos);
                if (k > kinds[r]) kinds[r] = k;
              }
              break;
            }
            appendCell(cols[j], kinds[j], buf, s, e, scan.flags[j], out);
          }
        }
        out.rows[split]++;
      }
      lines += scan.newlines;
      pos = next;
    }
  } finally {
    state.pos = pos;
    state.lines = lines;
  }
}

/**
 * The malformed row at `pos` (on line `line` of the range), if the scan says so: where parsing
 * resumes, the line to report and what is wrong. Besides scanner errors, a record whose quoted field runs over lines is
 * malformed when it is ragged, or when one of those lines is a complete row (bad-row.ts). A row
 * whose end cannot be told is a BadRow even with skip_bad_rows.
 */
function malformedRow(reader: RangeReader, pos: number, line: number, rc: number, scan: RecordScan, shape: RowShape): { next: number; line: number; message: string } | undefined {
  const multiLine = rc === SCAN_OK && scan.newlines > 1;
  if (rc === SCAN_OK && !(multiLine && scan.count !== shape.ncols)) {
    const swallowed = multiLine ? swallowedRowAt(reader, pos, scan.contentEnd, scan.next, shape) : -1;
    return swallowed < 0 ? undefined : { next: swallowed, line: line + countLines(reader.buf, pos, swallowed) - 1, message: UNTERMINATED_IN_LINE };
  }
  const message = rc === ERR_TOO_LONG ? tooLong() : rc === SCAN_OK ? `row has ${scan.count} fields but the header has ${shape.ncols}` : SCAN_ERROR_MESSAGES[rc];
  const end = badRowEnd(reader, pos, shape);
  if (end.next === undefined) {
    const runs = end.reason === 'too-long' ? `for more than ${MAX_RECORD_BYTES / 1024 / 1024} MB` : `over more than ${MAX_BAD_ROW_LINES} lines`;
    throw new BadRow(`${message}; the row runs on ${runs} with no line that is a complete row, so where it ends cannot be told`, line);
  }
  if (end.resynced) return { next: end.next, line: line + countLines(reader.buf, pos, end.next) - 1, message: UNTERMINATED_IN_LINE };
  const errorAt = rc === SCAN_OK ? pos : Math.min(scan.errorPos, end.next);
  return { next: end.next, line: line + countLines(reader.buf, pos, errorAt), message };
}

/** Start of the line after the one holding `from` (reading more of the file if needed). */
function nextLineStart(reader: RangeReader, from: number): number {
  for (;;) {
    const k = reader.buf.indexOf(LF, from);
    if (k >= 0 && k < reader.length) return k + 1;
    if (!reader.more()) return reader.length;
  }
}

function isBlank(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== CR) return false;
  }
  return true;
}

function appendJson(col: ColumnBuilder, kind: number, v: unknown, out: RangeOutput): boolean {
  if (v === null || v === undefined || v === '') {
    col.appendNull();
    return true;
  }
  if (kind === KIND_STR) {
    const text = String(v);
    out.ensureScratch(Buffer.byteLength(text));
    col.appendBytes(out.scratch, 0, out.scratch.write(text, 0));
    return true;
  }
  if (typeof v === 'boolean') v = v ? 1 : 0;
  if (typeof v !== 'number') return false;
  if (kind === KIND_F64) col.appendFloat(v);
  else if (!Number.isInteger(v)) return false;
  else if (kind === KIND_I53) {
    if (Math.abs(v) > 2 ** 53) return false;
    col.appendFloat(v);
  } else {
    if (v < INT32_MIN || v > INT32_MAX) return false;
    col.appendInt(v);
  }
  return true;
}

function parseJsonl(reader: RangeReader, state: { pos: number; lines: number }, out: RangeOutput): void {
  const { args, kinds, columns, bounds } = out;
  const end = args.end - reader.base;
  const index = new Map(columns.map((c, j) => [c, j]));
  const utf8 = new Utf8Guard(state.pos);
  const nsplits = args.splitNames.length;
  let values: unknown[] = [];
  let pos = state.pos;
  let lines = 0;
  try {
    while (pos < end) {
      const next = nextLineStart(reader, pos);
      const buf = reader.buf;
      const terminated = next > pos && buf[next - 1] === LF;
      if (!terminated && !reader.atEof) throw new BadRow(tooLong(), lines);
      let contentEnd = terminated ? next - 1 : next;
      if (contentEnd > pos && buf[contentEnd - 1] === CR) contentEnd--;
      const line = lines;
      lines += terminated ? 1 : 0;
      const at = pos;
      pos = next;
      if (isBlank(buf, at, contentEnd)) continue;
      const badByte = utf8.find(reader, at, next);
      if (badByte >= 0) {
        out.bad(utf8Message(buf, badByte), line);
        utf8.resume(next);
        continue;
      }
      let row: unknown;
      try {
        row = JSON.parse(buf.toString('utf8', at, contentEnd));
      } catch (e) {
        out.bad(`invalid JSON: ${(e as Error).message}`, line);
        continue;
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        out.bad('each line must be a JSON object', line);
        continue;
      }
      if (values.length < columns.length) values = new Array(columns.length);
      values.fill(undefined);
      let flat = true;
      for (const [key, v] of Object.entries(row)) {
        const kind = classifyJson(v);
        if (kind === undefined) {
          out.bad(`key "${key}" holds a nested value (only flat objects are supported)`, line);
          flat = false;
          break;
        }
        let j = index.get(key);
        if (j === undefined) {
          j = out.addColumn(key);
          index.set(key, j);
          values.push(undefined);
        }
        values[j] = v;
      }
      if (!flat) continue;
      let split = 0;
      if (nsplits > 1) {
        let h: number;
        if (args.splitKey) {
          h = SPLIT_SEED;
          for (const k of args.splitKey) {
            const j = index.get(k);
            const text = j === undefined || values[j] == null ? '' : String(values[j]);
            out.ensureScratch(Buffer.byteLength(text));
            h = murmur3(out.scratch, 0, out.scratch.write(text, 0), h);
          }
        } else h = murmur3(buf, at, contentEnd, SPLIT_SEED);
        split = splitOf(h, bounds);
      }
      for (let j = 0; j < columns.length; j++) {
        const v = values[j];
        if (out.dirty || v === undefined || v === null) {
          if (v !== undefined && v !== null) {
            const k = classifyJson(v)!;
            if (k > kinds[j]) kinds[j] = k;
          } else if (!out.dirty) out.builders[split][j].appendNull();
          continue;
        }
        const col = out.builders[split][j];
        if (appendJson(col, kinds[j], v, out)) continue;
        out.widen(j, Math.max(classifyJson(v)!, MISSING));
        if (!out.dirty) appendJson(col, kinds[j], v, out);
      }
      out.rows[split]++;
    }
  } finally {
    state.pos = pos;
    state.lines = lines;
  }
}
