/**
 * Column kinds from a sample of rows (main thread). Only a first guess: the parse widens any
 * column whose later values do not fit, so a small sample costs speed in rare cases, never
 * correctness.
 */
import { CR, FIELD_ESCAPED, LF, RecordScan, SCAN_NEED_MORE, SCAN_OK, countLines } from './csv-scanner.ts';
import type { TextValue } from './range-parser.ts';
import { KIND_I32, KIND_STR, classifyBytes, classifyJson } from './values.ts';

export const SAMPLE_ROWS = 10_000;
export const SAMPLE_BYTES = 4 * 1024 * 1024;

export interface CsvSample {
  kinds: number[];
  rowBytes: number;
  /** Per column: whether a number came before any text value. */
  numeric: boolean[];
  /** The first text value of each column that held numbers before it (line relative to `from`). */
  firstText: TextValue[];
}

/** Kinds for `ncols` columns from CSV rows in buf[from, length); broken or ragged rows are ignored. */
export function inferCsvKinds(buf: Buffer, from: number, atEof: boolean, ncols: number, delimiter: number): CsvSample {
  const kinds = new Array<number>(ncols).fill(KIND_I32);
  const numeric = new Array<boolean>(ncols).fill(false);
  const firstText: TextValue[] = [];
  const scan = new RecordScan(ncols + 1);
  let pos = from;
  let rows = 0;
  let line = 0;
  while (rows < SAMPLE_ROWS && pos < buf.length) {
    if (buf[pos] === LF || (buf[pos] === CR && buf[pos + 1] === LF)) {
      pos += buf[pos] === LF ? 1 : 2;
      line++;
      continue;
    }
    const rc = scan.scan(buf, pos, buf.length, atEof, delimiter);
    if (rc === SCAN_NEED_MORE) break;
    if (rc !== SCAN_OK) {
      const k = buf.indexOf(LF, pos);
      if (k < 0) break;
      pos = k + 1;
      line++;
      continue;
    }
    if (scan.count === ncols) {
      for (let j = 0; j < ncols; j++) {
        const s = scan.starts[j];
        const k = classifyBytes(buf, s, scan.ends[j], scan.flags[j] === FIELD_ESCAPED);
        if (k === KIND_STR && numeric[j] && kinds[j] < KIND_STR) {
          firstText.push({ column: j, line: line + countLines(buf, pos, s), value: buf.toString('utf8', s, Math.min(scan.ends[j], s + 60)), was: kinds[j] });
        }
        if (k >= 0 && k < KIND_STR && kinds[j] < KIND_STR) numeric[j] = true;
        if (k > kinds[j]) kinds[j] = k;
      }
      rows++;
    }
    line += scan.newlines;
    pos = scan.next;
  }
  return { kinds, rowBytes: rows > 0 ? (pos - from) / rows : 0, numeric, firstText };
}

/** Column names (keys in order of first appearance) and kinds from JSONL lines in buf. */
export function inferJsonlColumns(buf: Buffer, atEof: boolean): { columns: string[]; kinds: number[] } {
  const index = new Map<string, number>();
  const kinds: number[] = [];
  let pos = 0;
  for (let rows = 0; rows < SAMPLE_ROWS && pos < buf.length; ) {
    let k = buf.indexOf(LF, pos);
    if (k < 0) {
      if (!atEof) break;
      k = buf.length;
    }
    const text = buf.toString('utf8', pos, k).trim();
    pos = k + 1;
    if (!text) continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) continue;
    for (const [key, v] of Object.entries(row)) {
      let j = index.get(key);
      if (j === undefined) {
        j = kinds.length;
        index.set(key, j);
        kinds.push(KIND_I32);
      }
      const kind = classifyJson(v);
      if (kind !== undefined && kind > kinds[j]) kinds[j] = kind;
    }
    rows++;
  }
  return { columns: [...index.keys()], kinds };
}
