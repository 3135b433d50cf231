/**
 * Worker side: one TFRecord file of tf.Example (optionally GZIP), or a byte range of an
 * uncompressed one that starts at a record header, → Arrow shards per split. Every
 * record's framing and both CRC32C checksums are checked; a corrupt record stops the file with its
 * byte offset, or with skip_bad_rows is skipped and counted when the framing lets the reader go on.
 *
 * Columns are the features in name order. A feature with exactly one value in every example where
 * it is present is a scalar column (as CsvExampleGen writes); any other count makes a list column.
 * The executor passes the columns it settled on over all files; a file whose own features need a
 * wider shape reports `dirty` and is re-read with the merged columns.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type Long from 'long';
import type { FeatureType } from '../../formats/examples.ts';
import { TfRecordError, readRecord } from '../../formats/tfrecord.ts';
import { exampleType } from '../../formats/tfx-proto.ts';
import { type ArrowColumn, ColumnBuilder } from '../csv-example-gen/column-builders.ts';
import { SPLIT_SEED, murmur3, splitBounds, splitOf } from '../csv-example-gen/row-hash.ts';
import { KIND_F64, KIND_I32, KIND_STR, intKind } from '../csv-example-gen/values.ts';
import type { ShardOutcome } from '../example-gen-common/output.ts';
import { writeSplitShards } from '../example-gen-common/write-shards.ts';
import { ListColumnBuilder } from '../example-gen-common/list-column.ts';

export interface ImportColumn {
  name: string;
  type: FeatureType;
  list: boolean;
  /** Scalars: the storage kind (int32, int53 as float64, float64, string). */
  kind: number;
}

export interface ReadRecordsArgs {
  file: string;
  compression: 'auto' | 'none' | 'gzip';
  /** The columns to write (all files alike); absent on the first pass: the file's own. */
  columns?: ImportColumn[];
  splitNames: string[];
  ratios: number[];
  splitKey?: string[];
  skipBadRows: boolean;
  outUri: string;
  shardIndex: number;
  /** Uncompressed files only: the byte range of the file to read, starting at a record header. */
  range?: { start: number; end: number };
}

export interface ReadRecordsResult extends ShardOutcome {
  /** This file's own columns. */
  columns: ImportColumn[];
  /** The given columns cannot hold this file's features: nothing was written. */
  dirty: boolean;
  error?: string;
}

type Values = number[] | Uint8Array[];
interface Row {
  offset: number;
  features: Map<string, { type: FeatureType; values: Values }>;
}

class BadRecord extends Error {}

const MAX_SAFE = 2 ** 53;
const TYPE_OF_LIST = { int64List: 'INT', floatList: 'FLOAT', bytesList: 'STRING' } as const;

function toNumber(v: number | Long, at: string): number {
  const n = typeof v === 'number' ? v : v.toNumber();
  if (!Number.isSafeInteger(n) || Math.abs(n) > MAX_SAFE) throw new BadRecord(`${at}: int64 value ${v.toString()} is beyond ±2^53, which an INT feature holds exactly`);
  return n;
}

function decodeExample(data: Uint8Array, at: string): Row['features'] {
  let message: any;
  try {
    message = exampleType().decode(data);
  } catch (e) {
    throw new BadRecord(`${at}: not a tf.Example (${(e as Error).message})`);
  }
  const out: Row['features'] = new Map();
  const map: Record<string, any> = message.features?.feature ?? {};
  for (const [name, feature] of Object.entries(map)) {
    const kind = (['int64List', 'floatList', 'bytesList'] as const).find((k) => feature[k]);
    if (!kind) continue; // a Feature with no list set carries nothing
    const values: unknown[] = feature[kind].value ?? [];
    out.set(name, {
      type: TYPE_OF_LIST[kind],
      values: kind === 'int64List' ? values.map((v) => toNumber(v as number | Long, `${at}, feature "${name}"`)) : (values as Values),
    });
  }
  return out;
}

function fileBytes(file: string, compression: ReadRecordsArgs['compression'], range?: ReadRecordsArgs['range']): { buf: Uint8Array; gzip: boolean } {
  if (range) return { buf: readRange(file, range), gzip: false };
  const raw = readFileSync(file);
  const gzip = compression === 'gzip' || (compression === 'auto' && raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b);
  if (!gzip) return { buf: raw, gzip };
  try {
    return { buf: gunzipSync(raw), gzip };
  } catch (e) {
    throw new BadRecord(`${file}: GZIP decompression failed: ${(e as Error).message}`);
  }
}

function readRange(file: string, { start, end }: { start: number; end: number }): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The columns this file's rows need, in name order. */
export function columnsOf(rows: Row[]): ImportColumn[] {
  const seen = new Map<string, ImportColumn>();
  for (const row of rows) {
    for (const [name, f] of row.features) {
      let c = seen.get(name);
      if (!c) seen.set(name, (c = { name, type: f.type, list: false, kind: f.type === 'STRING' ? KIND_STR : f.type === 'FLOAT' ? KIND_F64 : KIND_I32 }));
      else if (c.type !== f.type) throw new BadRecord(`byte ${row.offset}: feature "${name}" is ${f.type} here but ${c.type} in an earlier record`);
      if (f.values.length !== 1) c.list = true;
      if (c.type === 'INT') for (const v of f.values as number[]) c.kind = Math.max(c.kind, intKind(v));
    }
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Can `given` hold `own` (same type; a list where own is a list; a kind at least as wide)? */
function holds(given: ImportColumn | undefined, own: ImportColumn): boolean {
  return !!given && given.type === own.type && (given.list || !own.list) && (given.list || given.kind >= own.kind);
}

export function readRecords(args: ReadRecordsArgs): ReadRecordsResult {
  const { file, splitNames } = args;
  const empty = (columns: ImportColumn[], extra: Partial<ReadRecordsResult>): ReadRecordsResult => ({
    rows: splitNames.map(() => 0),
    files: splitNames.map(() => null),
    skipped: 0,
    skippedSamples: [],
    columns,
    dirty: false,
    ...extra,
  });
  const rows: Row[] = [];
  let skipped = 0;
  const skippedSamples: { message: string }[] = [];
  let gzip = false;
  try {
    const bytes = fileBytes(file, args.compression, args.range);
    gzip = bytes.gzip;
    const buf = bytes.buf;
    // Offsets in messages are the file's, also when this task reads a range of it.
    const base = args.range?.start ?? 0;
    const where = (offset: number) => `${file}: record at byte ${base + offset}${gzip ? ' of the decompressed stream' : ''}`;
    const bad = (message: string) => {
      if (!args.skipBadRows) throw new BadRecord(message);
      skipped++;
      if (skippedSamples.length < 5) skippedSamples.push({ message });
    };
    for (let offset = 0; offset < buf.length; ) {
      let data: Uint8Array;
      try {
        data = readRecord(buf, offset).data;
      } catch (e) {
        if (!(e instanceof TfRecordError)) throw e;
        const message = `${where(offset)}: ${e.message}`;
        // Truncation can only be the end of the file; a bad length CRC leaves nothing to resync on.
        if (e.problem === 'length-crc') throw new BadRecord(`${message}; the rest of the file cannot be read${args.skipBadRows ? ' (skip_bad_rows skips a record only when its length can be trusted)' : ''}`);
        bad(message);
        if (e.next === undefined) break;
        offset = e.next;
        continue;
      }
      const at = offset;
      offset += 16 + data.length;
      try {
        rows.push({ offset: base + at, features: decodeExample(data, where(at)) });
      } catch (e) {
        if (!(e instanceof BadRecord)) throw e;
        bad(e.message);
      }
    }
    const own = columnsOf(rows);
    const columns = args.columns ?? own;
    if (args.columns && own.some((c) => !holds(args.columns!.find((g) => g.name === c.name), c))) return empty(own, { dirty: true });
    return { ...write(args, rows, columns), skipped, skippedSamples, columns: own, dirty: false };
  } catch (e) {
    if (e instanceof BadRecord) {
      const message = e.message.startsWith(file) ? e.message : `${file}: ${e.message}`;
      return empty([], { error: message });
    }
    throw e;
  }
}

function write(args: ReadRecordsArgs, rows: Row[], columns: ImportColumn[]): Pick<ShardOutcome, 'rows' | 'files'> {
  const { splitNames } = args;
  const builders = splitNames.map(() =>
    columns.map((c): ArrowColumn & { appendNull(): void } => (c.list ? new ListColumnBuilder(c.name, c.type) : new ColumnBuilder(c.name, c.kind, Math.max(16, rows.length)))),
  );
  const counts = splitNames.map(() => 0);
  const bounds = splitBounds(args.ratios);
  const hashed = args.splitKey ?? columns.map((c) => c.name);
  const key = new RowKey();
  for (const row of rows) {
    key.reset();
    for (const name of hashed) key.add(row.features.get(name)?.values);
    const s = splitOf(murmur3(key.bytes, 0, key.length, SPLIT_SEED), bounds);
    counts[s]++;
    columns.forEach((c, j) => {
      const f = row.features.get(c.name);
      const b = builders[s][j];
      if (!f) b.appendNull();
      else if (b instanceof ListColumnBuilder) {
        if (c.type === 'STRING') b.appendStrings(f.values as Uint8Array[]);
        else b.appendNumbers(f.values as number[]);
      } else if (b instanceof ColumnBuilder) {
        const v = f.values[0];
        if (v instanceof Uint8Array) {
          if (v.length === 0) b.appendNull(); // an empty string is missing, as an empty CSV cell
          else b.appendBytes(v, 0, v.length);
        } else if (c.kind === KIND_I32) b.appendInt(v);
        else b.appendFloat(v);
      }
    });
  }
  const files = writeSplitShards(args.outUri, splitNames, args.shardIndex, counts, builders);
  return { rows: counts, files };
}

/** A row's hashed features as bytes: per feature its value count, then each value (float64 or length + bytes). */
class RowKey {
  bytes = new Uint8Array(1024);
  length = 0;
  private readonly view = new DataView(new ArrayBuffer(8));
  private readonly eight = new Uint8Array(this.view.buffer);

  reset(): void {
    this.length = 0;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(this.length + n, this.bytes.length * 2));
    bigger.set(this.bytes);
    this.bytes = bigger;
  }

  private u32(n: number): void {
    this.reserve(4);
    this.view.setUint32(0, n, true);
    this.bytes.set(this.eight.subarray(0, 4), this.length);
    this.length += 4;
  }

  add(values: Values | undefined): void {
    if (!values) {
      this.u32(0xffffffff);
      return;
    }
    this.u32(values.length);
    for (const v of values) {
      if (v instanceof Uint8Array) {
        this.u32(v.length);
        this.reserve(v.length);
        this.bytes.set(v, this.length);
        this.length += v.length;
      } else {
        this.reserve(8);
        this.view.setFloat64(0, v, true);
        this.bytes.set(this.eight, this.length);
        this.length += 8;
      }
    }
  }
}

