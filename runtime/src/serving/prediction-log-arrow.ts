/**
 * The prediction log as an Apache Arrow IPC stream (`--prediction-log FILE.arrow`): typed columns
 * (time, model, version, arm, key, status, latency_ms; instances, predictions and error as JSON
 * text), for any Arrow IPC stream reader (pyarrow's `ipc.open_stream`, apache-arrow's `tableFromIPC`).
 *
 * Records are buffered and written as one record batch per `batchRecords` records or per
 * `flushMs`, whichever comes first, and at close (SIGINT/SIGTERM). A killed server loses at most
 * that much; a reader of a file whose server was killed gets every batch written before (a stream
 * without its end marker reads to the last whole batch). Rotation works as for the JSONL log,
 * between batches: FILE is ended and becomes FILE.1 (…), and a new FILE starts with the schema.
 * A stream cannot be appended to, so a restarted server first rotates an existing FILE away.
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Field, Float64, Int32, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, makeData, tableToIPC, vectorFromArray } from '../formats/arrow.ts';
import type { PredictionRecord } from './prediction-record.ts';

export interface ArrowLogOptions {
  maxBytes: number;
  keep: number;
  /** Records per record batch (default 256). */
  batchRecords?: number;
  /** Longest a record waits in the buffer (default 1000 ms). */
  flushMs?: number;
  rotatedFile(n: number): string;
}

const SCHEMA = new Schema([
  new Field('time', new TimestampMillisecond('UTC'), false),
  new Field('model', new Utf8(), false),
  new Field('version', new Int32(), false),
  new Field('arm', new Utf8(), false),
  new Field('key', new Utf8(), true),
  new Field('status', new Int32(), false),
  new Field('latency_ms', new Float64(), false),
  new Field('instances', new Utf8(), true),
  new Field('predictions', new Utf8(), true),
  new Field('error', new Utf8(), true),
]);

/** The end-of-stream marker: continuation token, then a zero metadata length. */
const END_OF_STREAM = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** The schema message that opens every file: an empty stream's bytes, without its end marker. */
const SCHEMA_BYTES = (() => {
  const empty = tableToIPC(new Table(SCHEMA), 'stream');
  return empty.subarray(0, empty.length - END_OF_STREAM.length);
})();

/** One record batch message for these records (a one-batch stream minus its schema and end marker). */
export function recordBatchBytes(records: PredictionRecord[]): Uint8Array {
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  const columns: Record<string, unknown[]> = {
    time: records.map((r) => Date.parse(r.time)),
    model: records.map((r) => r.model),
    version: records.map((r) => r.version),
    arm: records.map((r) => r.arm),
    key: records.map((r) => r.key ?? null),
    status: records.map((r) => r.status),
    latency_ms: records.map((r) => r.latencyMs),
    instances: records.map((r) => json(r.instances)),
    predictions: records.map((r) => json(r.predictions)),
    error: records.map((r) => r.error ?? null),
  };
  const children = SCHEMA.fields.map((f) => {
    const chunks = vectorFromArray(columns[f.name], f.type).data;
    if (chunks.length !== 1) throw new Error(`prediction log: column ${f.name} came in ${chunks.length} chunks`);
    return chunks[0];
  });
  const batch = new RecordBatch(SCHEMA, makeData({ type: new Struct(SCHEMA.fields), length: records.length, nullCount: 0, children }));
  const stream = tableToIPC(new Table([batch]), 'stream');
  const head = stream.subarray(0, SCHEMA_BYTES.length);
  if (!Buffer.from(head).equals(SCHEMA_BYTES)) throw new Error('prediction log: a record batch came with a different schema');
  return stream.subarray(SCHEMA_BYTES.length, stream.length - END_OF_STREAM.length);
}

export class ArrowPredictionLog {
  private fd: number | undefined;
  private size = 0;
  private buffered: PredictionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failed = false;

  constructor(
    readonly path: string,
    private readonly options: ArrowLogOptions,
  ) {
    if (existsSync(path)) this.shiftRotated(); // an ended stream cannot be continued
    this.open();
  }

  write(record: PredictionRecord): void {
    if (this.fd === undefined) return;
    this.buffered.push(record);
    if (this.buffered.length >= (this.options.batchRecords ?? 256)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 1000).unref();
  }

  /** Writes the buffered records as one record batch, rotating first when it would not fit. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.fd === undefined || this.buffered.length === 0) return;
    const records = this.buffered;
    this.buffered = [];
    try {
      const bytes = recordBatchBytes(records);
      if (this.size > SCHEMA_BYTES.length && this.size + bytes.length + END_OF_STREAM.length > this.options.maxBytes) this.rotate();
      writeAll(this.fd!, bytes);
      this.size += bytes.length;
    } catch (e) {
      // As for the JSONL log: logging never takes the server down; a failure stops it, once, loudly.
      if (!this.failed) process.stderr.write(`prediction log ${this.path}: ${(e as Error).message}; logging stopped\n`);
      this.failed = true;
      this.closeFd(false);
    }
  }

  close(): Promise<void> {
    this.flush();
    this.closeFd(true);
    return Promise.resolve();
  }

  private open(): void {
    this.fd = openSync(this.path, 'w');
    writeAll(this.fd, SCHEMA_BYTES);
    this.size = SCHEMA_BYTES.length;
  }

  private rotate(): void {
    this.closeFd(true);
    this.shiftRotated();
    this.open();
  }

  /** FILE → FILE.1 → … → FILE.<keep>, dropping the oldest. */
  private shiftRotated(): void {
    const { keep, rotatedFile } = this.options;
    rmSync(rotatedFile(keep), { force: true });
    for (let n = keep - 1; n >= 0; n--) {
      if (existsSync(rotatedFile(n))) renameSync(rotatedFile(n), rotatedFile(n + 1));
    }
  }

  private closeFd(end: boolean): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (end) writeAll(fd, END_OF_STREAM);
    } finally {
      closeSync(fd);
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}
