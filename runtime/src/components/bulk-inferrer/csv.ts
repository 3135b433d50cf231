/** A small RFC 4180 CSV reader/writer for BulkInferrer's unlabelled input and its CSV output. */
import { UserError } from '../../core/errors.ts';

/** Rows of fields; quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string, file: string): { header: string[]; rows: string[][]; lines: number[] } {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = () => {
    record.push(field);
    if (!(record.length === 1 && record[0] === '' && !fieldStarted)) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
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
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new UserError(`${file}:${recordLine}: unterminated quoted field`, { file, line: recordLine });
  if (field.length > 0 || record.length > 0 || fieldStarted) endRecord();
  if (records.length === 0) throw new UserError(`${file} is empty (a header row is needed)`, { file });
  const [header, ...rows] = records;
  lines.shift();
  rows.forEach((r, i) => {
    if (r.length !== header.length) throw new UserError(`${file}:${lines[i]}: ${r.length} fields, the header has ${header.length}`, { file, line: lines[i] });
  });
  return { header, rows, lines };
}

export function csvField(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
