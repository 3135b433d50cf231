/** A small RFC 4180 CSV reader/writer for BulkInferrer's unlabelled input and its CSV output. */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../../core/errors.ts';

export interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
}

/**
 * Records from text arriving in chunks (quoted fields may hold commas, quotes ("") and newlines,
 * also across chunk ends): only the record being read is held, whatever the file's size.
 */
export function* csvRecords(chunks: Iterable<string>, file: string): Generator<CsvRecord> {
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let quoteMaybeEnded = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  let pendingCr = false;
  const endRecord = (): CsvRecord | undefined => {
    record.push(field);
    const out = record.length === 1 && record[0] === '' && !fieldStarted ? undefined : { fields: record, line: recordLine };
    record = [];
    field = '';
    fieldStarted = false;
    return out;
  };
  for (const text of chunks) {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (pendingCr) {
        pendingCr = false;
        if (c === '\n') continue;
      }
      if (quoteMaybeEnded) {
        quoteMaybeEnded = false;
        if (c === '"') {
          field += '"';
          quoted = true;
          continue;
        }
      }
      if (quoted) {
        if (c === '"') {
          quoted = false;
          quoteMaybeEnded = true;
        } else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (c === '"') {
        if (field.length > 0) throw new UserError(`${file}:${line}: a quote inside an unquoted field`, { file, line });
        quoted = true;
        fieldStarted = true;
      } else if (c === ',') {
        record.push(field);
        field = '';
        fieldStarted = true;
      } else if (c === '\n' || c === '\r') {
        pendingCr = c === '\r';
        const r = endRecord();
        if (r) yield r;
        line++;
        recordLine = line;
      } else {
        field += c;
        fieldStarted = true;
      }
    }
  }
  if (quoted) throw new UserError(`${file}:${recordLine}: unterminated quoted field`, { file, line: recordLine });
  if (field.length > 0 || record.length > 0 || fieldStarted) {
    const r = endRecord();
    if (r) yield r;
  }
}

/** A file's text in chunks of about `bytes` (UTF-8 decoded across chunk ends). */
export function* fileChunks(file: string, bytes = 1 << 20): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`, { file });
  }
  try {
    const buf = Buffer.allocUnsafe(bytes);
    const decoder = new StringDecoder('utf8');
    for (let n = readSync(fd, buf, 0, bytes, null); n > 0; n = readSync(fd, buf, 0, bytes, null)) yield decoder.write(buf.subarray(0, n));
    const rest = decoder.end();
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}

/** Header and data records, each checked for the header's field count. */
export function* csvRows(chunks: Iterable<string>, file: string): Generator<{ header: string[] } | CsvRecord> {
  let header: string[] | undefined;
  for (const r of csvRecords(chunks, file)) {
    if (!header) {
      header = r.fields;
      yield { header };
      continue;
    }
    if (r.fields.length !== header.length) throw new UserError(`${file}:${r.line}: ${r.fields.length} fields, the header has ${header.length}`, { file, line: r.line });
    yield r;
  }
  if (!header) throw new UserError(`${file} is empty (a header row is needed)`, { file });
}

/** A whole CSV text at once (tests, small files). */
export function parseCsv(text: string, file: string): { header: string[]; rows: string[][]; lines: number[] } {
  let header: string[] = [];
  const rows: string[][] = [];
  const lines: number[] = [];
  for (const r of csvRows([text], file)) {
    if ('header' in r) header = r.header;
    else {
      rows.push(r.fields);
      lines.push(r.line);
    }
  }
  return { header, rows, lines };
}

export function csvField(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
