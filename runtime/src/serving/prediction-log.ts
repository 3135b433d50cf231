/**
 * Optional request/prediction log (`tributary serve --prediction-log FILE`): one JSON line per
 * predict, with the model, version and traffic arm, so arms can be compared offline.
 *
 * Size-based rotation, as logrotate does it: before a record would take FILE past `maxBytes`, FILE
 * becomes FILE.1 (FILE.1 → FILE.2 …, the oldest beyond `keep` is deleted) and a new FILE starts.
 * A record is never split across files; one larger than the limit gets a file of its own.
 *
 * Writes are synchronous, one write per record: a line is either wholly in a file or not at all,
 * rotation happens between two records (no buffered bytes can land in the wrong file), and a
 * crashed server loses nothing it had logged. A line costs a syscall into the page cache, small
 * beside a predict.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { ArrowPredictionLog } from './prediction-log-arrow.ts';
import type { PredictionRecord } from './prediction-record.ts';

export interface PredictionLogOptions {
  /** Rotate before the file would grow past this many bytes (default 100 MiB). */
  maxBytes?: number;
  /** Rotated files kept: FILE.1 (newest) … FILE.<keep> (default 5). */
  keep?: number;
  /** JSON lines, or an Arrow IPC stream (prediction-log-arrow.ts); default: arrow for a `.arrow` file. */
  format?: PredictionLogFormat;
  /** Arrow only: records per record batch, and the longest a record waits for its batch. */
  batchRecords?: number;
  flushMs?: number;
}

export type PredictionLogFormat = 'jsonl' | 'arrow';

export function predictionLogFormat(file: string, format?: PredictionLogFormat): PredictionLogFormat {
  return format ?? (file.endsWith('.arrow') ? 'arrow' : 'jsonl');
}

export const DEFAULT_PREDICTION_LOG_MAX_MB = 100;
export const DEFAULT_PREDICTION_LOG_KEEP = 5;

/** FILE.n, the n-th newest rotated file; FILE itself for n = 0. */
export function rotatedFile(file: string, n: number): string {
  return n === 0 ? file : `${file}.${n}`;
}

/** The log's files that exist, oldest first (FILE.n … FILE.1, FILE): the order to read its records in. */
export function logFilesInOrder(file: string): string[] {
  const files = [];
  for (let n = 1; existsSync(rotatedFile(file, n)); n++) files.unshift(rotatedFile(file, n));
  return existsSync(file) ? [...files, file] : files;
}

export class PredictionLog {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private fd: number | undefined;
  private size = 0;
  private failed = false;
  private readonly arrow?: ArrowPredictionLog;

  constructor(file: string, options: PredictionLogOptions = {}) {
    this.path = resolve(file);
    this.maxBytes = options.maxBytes ?? DEFAULT_PREDICTION_LOG_MAX_MB * 1024 * 1024;
    this.keep = options.keep ?? DEFAULT_PREDICTION_LOG_KEEP;
    if (!(this.maxBytes > 0)) throw new UserError(`prediction log: the size limit must be above 0 (got ${this.maxBytes} bytes)`);
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new UserError(`prediction log: keep must be a whole number ≥ 1 (got ${this.keep})`);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if (predictionLogFormat(this.path, options.format) === 'arrow') {
        const { maxBytes, keep, path } = this;
        this.arrow = new ArrowPredictionLog(path, { maxBytes, keep, batchRecords: options.batchRecords, flushMs: options.flushMs, rotatedFile: (n) => rotatedFile(path, n) });
      } else {
        this.open();
      }
    } catch (e) {
      throw new UserError(`Cannot open the prediction log ${this.path}: ${(e as Error).message}`, { file: this.path });
    }
  }

  write(record: PredictionRecord): void {
    if (this.arrow) return this.arrow.write(record);
    if (this.fd === undefined) return;
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    try {
      if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
      if (this.fd === undefined) return;
      writeAll(this.fd, line);
      this.size += line.length;
    } catch (e) {
      // Logging must never take the server down: a full or vanished disk stops the log, once, loudly.
      if (!this.failed) process.stderr.write(`prediction log ${this.path}: ${(e as Error).message}; logging stopped\n`);
      this.failed = true;
      this.closeFd();
    }
  }

  close(): Promise<void> {
    if (this.arrow) return this.arrow.close();
    this.closeFd();
    return Promise.resolve();
  }

  private open(): void {
    this.fd = openSync(this.path, 'a');
    this.size = fstatSync(this.fd).size; // appending to an earlier server's log
  }

  /** FILE → FILE.1 → … → FILE.<keep>, dropping the oldest; then a fresh FILE. */
  private rotate(): void {
    this.closeFd();
    rmSync(rotatedFile(this.path, this.keep), { force: true });
    for (let n = this.keep - 1; n >= 0; n--) {
      const from = rotatedFile(this.path, n);
      if (existsSync(from)) renameSync(from, rotatedFile(this.path, n + 1));
    }
    this.open();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}
