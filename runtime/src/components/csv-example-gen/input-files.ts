/**
 * Which files an `input` parameter names (one file, a glob, or a folder of shards), their format,
 * and for CSV the validated header. Checks here are the ones that concern a whole file; row-level
 * problems are found by the range parser.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { expandInput } from '../../util/paths.ts';
import { UserError } from '../../core/errors.ts';
import { CR, LF, RecordScan, SCAN_ERROR_MESSAGES, SCAN_NEED_MORE, SCAN_OK, countLines } from './csv-scanner.ts';
import { MAX_RECORD_BYTES } from './range-reader.ts';
import { firstInvalidUtf8 } from './utf8.ts';

export type InputFormat = 'csv' | 'jsonl';

export interface InputFile {
  path: string;
  size: number;
  /** Byte where rows start (after BOM and header). */
  dataStart: number;
  /** Physical lines before dataStart (the header's). */
  headerLines: number;
  /** CSV header names; empty for JSONL. */
  columns: string[];
  /** Header problems worth a warning (an empty column name, and the name it was given). */
  warnings?: string[];
}

const EXTENSIONS: Record<string, InputFormat> = { '.csv': 'csv', '.tsv': 'csv', '.txt': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'jsonl' };

const hasGlob = (p: string) => /[*?[{]/.test(p);

/**
 * Absolute, sorted paths of the files `input` (already absolute) names: the engine's resolver
 * (util/paths.ts), so the files read are the files the cache key hashed. A folder contributes the
 * files with one of `extensions` (every file when `explicitFormat`); other ExampleGens pass theirs
 * (the key hashes every file: an extra file can only cost a rerun, never a stale reuse).
 */
export function resolveInputFiles(input: string, explicitFormat: boolean, extensions: string[] = Object.keys(EXTENSIONS)): string[] {
  if (!hasGlob(input)) {
    if (!existsSync(input)) throw new UserError(`input "${input}" does not exist`, { file: input, field: 'input' });
    if (!statSync(input).isDirectory()) return [input];
    const all = expandInput(input, input);
    const files = explicitFormat ? all : all.filter((f) => extensions.includes(extname(f).toLowerCase()));
    if (files.length === 0) throw new UserError(`folder "${input}" holds no ${extensions.join(', ')} files`, { file: input, field: 'input' });
    return files;
  }
  const files = expandInput(input, input);
  if (files.length === 0) throw new UserError(`input pattern "${input}" matches no files`, { file: input, field: 'input' });
  return files;
}

export function detectFormat(files: string[], format: 'auto' | InputFormat): InputFormat {
  if (format !== 'auto') return format;
  const formats = new Set<InputFormat>();
  for (const f of files) {
    const found = EXTENSIONS[extname(f).toLowerCase()];
    if (!found) throw new UserError(`cannot tell the format of "${basename(f)}" from its extension; set format to csv or jsonl`, { file: f, field: 'format' });
    formats.add(found);
  }
  if (formats.size > 1) throw new UserError('input mixes CSV and JSONL files; point input at one format', { field: 'input' });
  return [...formats][0];
}

function readHead(path: string, size: number, bytes: number): Buffer {
  const n = Math.min(size, bytes);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < n) {
      const got = readSync(fd, buf, done, n - done, done);
      if (got === 0) break;
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** Offset after a UTF-8 BOM; UserError for empty files and UTF-16. */
function checkEncodingStart(path: string, head: Buffer): number {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    throw new UserError(`${path}:1: the file is UTF-16 encoded (byte order mark); save it as UTF-8`, { file: path, line: 1 });
  }
  const start = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  let i = start;
  while (i < head.length && (head[i] === LF || head[i] === CR || head[i] === 32 || head[i] === 9)) i++;
  if (i === head.length) throw new UserError(`${path}:1: the file is empty`, { file: path, line: 1 });
  return start;
}

export function readJsonlFile(path: string): InputFile {
  const size = statSync(path).size;
  const head = readHead(path, size, 64 * 1024);
  const dataStart = checkEncodingStart(path, head);
  return { path, size, dataStart, headerLines: 0, columns: [] };
}

export function readCsvFile(path: string, delimiter: number): InputFile {
  const size = statSync(path).size;
  let head = readHead(path, size, 1024 * 1024);
  let pos = checkEncodingStart(path, head);
  let lines = 0;
  // Blank lines before the header are skipped, as in the row parser.
  while (head[pos] === LF || (head[pos] === CR && head[pos + 1] === LF)) {
    pos += head[pos] === LF ? 1 : 2;
    lines++;
  }
  const scan = new RecordScan(4096);
  let rc = scan.scan(head, pos, head.length, head.length === size, delimiter);
  while (rc === SCAN_NEED_MORE && head.length < Math.min(size, MAX_RECORD_BYTES)) {
    head = readHead(path, size, head.length * 4);
    rc = scan.scan(head, pos, head.length, head.length === size, delimiter);
  }
  const at = (p: number) => ({ file: path, line: lines + countLines(head, pos, p) + 1 });
  if (rc === SCAN_NEED_MORE) throw new UserError(`${path}:${lines + 1}: the header line is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MB`, at(pos));
  if (rc !== SCAN_OK) {
    const loc = at(scan.errorPos);
    throw new UserError(`${path}:${loc.line}: header: ${SCAN_ERROR_MESSAGES[rc]}`, loc);
  }
  const bad = firstInvalidUtf8(head, pos, scan.next);
  if (bad >= 0) {
    const loc = at(bad);
    throw new UserError(`${path}:${loc.line}: header: invalid UTF-8 byte 0x${head[bad].toString(16)} (the file must be UTF-8 encoded)`, loc);
  }
  const columns: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (let j = 0; j < Math.min(scan.count, scan.starts.length); j++) {
    let name = head.toString('utf8', scan.starts[j], scan.ends[j]).replaceAll('""', '"').trim();
    if (!name) {
      name = `column_${j + 1}`;
      warnings.push(`${path}:${lines + 1}: column ${j + 1} of the header has no name; it is called "${name}"`);
    }
    if (seen.has(name)) throw new UserError(`${path}:${lines + 1}: header names column "${name}" twice`, { file: path, line: lines + 1 });
    seen.add(name);
    columns.push(name);
  }
  return { path, size, dataStart: scan.next, headerLines: lines + scan.newlines, columns, warnings };
}
