/**
 * Where a malformed CSV row ends, so that a bad row is one row: skipped as one with
 * skip_bad_rows, and never a silent grave for the rows after it.
 *
 * A broken quote is the hard case. An unterminated quoted field swallows every following line up
 * to the next quote character (or the end of the file), so resuming after the scanner's error
 * position dropped thousands of good rows while reporting one. Here the bad row is read
 * leniently (a stray quote is text, characters after a closing quote continue the field) and
 * every line break inside a quoted field is a candidate end: when the line after it parses as a
 * complete row (the header's number of fields), the quote was left open by mistake and the bad
 * row ends at that line. A legitimate multi-line value one of whose lines is itself a complete
 * row cannot be told apart from that, and is read the same way. When no such line comes within
 * MAX_BAD_ROW_LINES lines, the row's end cannot be told and the caller fails with file:line.
 */
import { CR, LF, QUOTE, type RecordScan, SCAN_NEED_MORE, SCAN_OK } from './csv-scanner.ts';
import type { RangeReader } from './range-reader.ts';

/** Lines a malformed row may span before the parser gives up telling where it ends. */
export const MAX_BAD_ROW_LINES = 100;

export type BadRowEnd =
  /** Parsing resumes at `next`; `resynced`: the row ended early, at a line that is a complete row. */
  | { next: number; resynced: boolean }
  /** No line within MAX_BAD_ROW_LINES looks like a row, or the row outgrew MAX_RECORD_BYTES. */
  | { next: undefined; reason: 'too-many-lines' | 'too-long' };

/** What a complete row looks like: well formed, with the header's number of fields. */
export interface RowShape {
  ncols: number;
  delim: number;
  /** A scanner for at least ncols + 1 fields, used to test candidate lines. */
  probe: RecordScan;
}

/** The end of the malformed row that starts at `pos` (buffer offset in `reader`). */
export function badRowEnd(reader: RangeReader, pos: number, row: RowShape): BadRowEnd {
  let p = pos;
  let lines = 0;
  /** True when byte p is readable; reads more of the file as needed. */
  const have = (at: number): boolean => at < reader.length || (!reader.atEof && reader.more() && have(at));
  const atEnd = (): BadRowEnd => (reader.atEof ? { next: reader.length, resynced: false } : { next: undefined, reason: 'too-long' });
  for (;;) {
    // One field: quoted part first (if any), then an unquoted part up to the delimiter or LF.
    if (!have(p)) return atEnd();
    if (reader.buf[p] === QUOTE) {
      p++;
      for (;;) {
        if (!have(p)) return atEnd();
        const c = reader.buf[p];
        if (c === QUOTE) {
          if (have(p + 1) && reader.buf[p + 1] === QUOTE) {
            p += 2;
            continue;
          }
          p++;
          break;
        }
        p++;
        if (c === LF) {
          if (++lines > MAX_BAD_ROW_LINES) return { next: undefined, reason: 'too-many-lines' };
          if (looksLikeRow(reader, p, row)) return { next: p, resynced: true };
        }
      }
    }
    for (;;) {
      if (!have(p)) return atEnd();
      const c = reader.buf[p++];
      if (c === LF) return { next: p, resynced: false };
      if (c === row.delim) break;
    }
  }
}

/**
 * A record that parsed, but whose quoted field runs over lines one of which starts a complete row:
 * a quote left open that happened to close on a later row's quote. Returns where that line starts
 * (the bad row ends there), or -1. A legitimate multi-line value can hold such a line too; it is
 * told apart by reading on from there: the value's real closing quote then breaks a row before the
 * record's end, while after a quote left open every row up to the record's end is well formed.
 */
export function swallowedRowAt(reader: RangeReader, pos: number, contentEnd: number, next: number, row: RowShape): number {
  let lines = 0;
  for (let k = reader.buf.indexOf(LF, pos); k >= 0 && k < contentEnd; k = reader.buf.indexOf(LF, k + 1)) {
    if (++lines > MAX_BAD_ROW_LINES) return -1;
    if (rowsUpTo(reader, k + 1, next, row)) return k + 1;
  }
  return -1;
}

/** Whether well-formed rows start at `at` and follow each other up to `until` (at least one). */
function rowsUpTo(reader: RangeReader, at: number, until: number, row: RowShape): boolean {
  let p = at;
  while (p < until) {
    const c = reader.buf[p];
    if (c === LF || (c === CR && reader.buf[p + 1] === LF)) {
      if (p === at) return false;
      p += c === LF ? 1 : 2;
      continue;
    }
    if (!looksLikeRow(reader, p, row)) return false;
    p = row.probe.next;
  }
  return true;
}

/** Whether a complete, well-formed row of the header's field count starts at `at` (a blank line is not one). */
function looksLikeRow(reader: RangeReader, at: number, { ncols, delim, probe }: RowShape): boolean {
  for (;;) {
    if (at >= reader.length) {
      if (reader.atEof || !reader.more()) return false;
      continue;
    }
    const c = reader.buf[at];
    if (c === LF || (c === CR && reader.buf[at + 1] === LF)) return false;
    const rc = probe.scan(reader.buf, at, reader.length, reader.atEof, delim);
    if (rc === SCAN_NEED_MORE) {
      if (!reader.more()) return false;
      continue;
    }
    return rc === SCAN_OK && probe.count === ncols;
  }
}
