/**
 * Worker side: one shard = consecutive row groups of one Parquet file, read column by column with
 * hyparquet (a scan over exactly these rows, so only their column chunks are fetched and
 * decompressed), assigned to splits by a hash of each row's values and written as one Arrow file
 * per split, with the column builders CsvExampleGen uses.
 */
import { ColumnBuilder } from '../csv-example-gen/column-builders.ts';
import { Murmur3Stream, SPLIT_SEED, splitBounds, splitOf } from '../csv-example-gen/row-hash.ts';
import { KIND_I32, KIND_STR, featureTypeOf } from '../csv-example-gen/values.ts';
import { ListColumnBuilder } from '../example-gen-common/list-column.ts';
import type { ShardOutcome } from '../example-gen-common/output.ts';
import { writeSplitShards } from '../example-gen-common/write-shards.ts';
import type { ParquetColumn } from './columns.ts';
import { type Numbers, type PageLib, type Strings, UnsafeInteger, isFlatPlain, loadPageLib, readFlatColumn } from './flat-column.ts';
import type { AsyncBuffer, Compressors, FileMetaData } from 'hyparquet';

export interface ReadRowsArgs {
  file: string;
  rowStart: number;
  rowEnd: number;
  columns: ParquetColumn[];
  splitNames: string[];
  ratios: number[];
  splitKey?: string[];
  outUri: string;
  shardIndex: number;
}

export interface ReadRowsResult extends ShardOutcome {
  error?: string;
}

const MAX_SAFE = 2 ** 53;
const TAG_NULL = 0;
const TAG_NUMBER = 1;
const TAG_BYTES = 2;
const TAG_LIST = 3;

/** Strings stay bytes: they go to the Arrow dictionary and the row hash as they are, never decoded. */
const parsers = { stringFromBytes: (bytes: Uint8Array) => bytes };

class RowError extends Error {}

/** A cell as a number (ints, bools, floats) or bytes (strings), or null for a missing value. */
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
const MIN_SAFE_BIG = -MAX_SAFE_BIG;

function cellNumber(v: unknown, column: ParquetColumn, row: number, file: string): number {
  if (typeof v === 'bigint') {
    if (v > MAX_SAFE_BIG || v < MIN_SAFE_BIG) {
      throw new RowError(`${file}: row ${row + 1}, column "${column.name}": ${v} is beyond ±2^53, which an INT feature holds exactly`);
    }
    return Number(v);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v as number;
}

export async function readRows(args: ReadRowsArgs): Promise<ReadRowsResult> {
  const { file, rowStart, rowEnd, columns, splitNames } = args;
  const rows = rowEnd - rowStart;
  // Loaded here, not at the top: hyparquet is an ES module only, and a pool worker run from the
  // sources loads task modules with require() (see engine/pool-worker.ts).
  const { asyncBufferFromFile, parquetMetadataAsync, parquetScan } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer, { parsers });
  const scan = await parquetScan({ file: buffer, metadata, columns: columns.map((c) => c.name), compressors, parsers });
  const pages = await loadPageLib();
  const flat = new Set(metadata.schema.slice(1).filter((e) => columns.some((c) => c.name === e.name && !c.list) && isFlatPlain(e)).map((e) => e.name));
  const groupStarts: number[] = [];
  metadata.row_groups.reduce((at, g) => (groupStarts.push(at), at + Number(g.num_rows)), 0);
  const capacity = Math.ceil((rows / args.ratios.reduce((a, b) => a + b, 0)) * Math.max(...args.ratios) * 1.05) + 16;
  const builders = splitNames.map(() => columns.map((c) => (c.list ? new ListColumnBuilder(c.name, featureTypeOf(c.kind)) : new ColumnBuilder(c.name, c.kind, capacity))));
  const counts = splitNames.map(() => 0);
  const hashed = args.splitKey ? args.splitKey.map((k) => columns.findIndex((c) => c.name === k)) : columns.map((_, j) => j);
  const rowHash = new RowHasher(splitBounds(args.ratios), hashed);
  try {
    // Row group by row group (readColumn serves ranges within one group): only one group's values are held.
    for (const range of scan.ranges) {
      const start = Math.max(rowStart, range.rowStart);
      const end = Math.min(rowEnd, range.rowEnd);
      if (end <= start) continue;
      const group = groupStarts.findLastIndex((g) => g <= start);
      const data: Cells[] = [];
      for (const c of columns) {
        if (flat.has(c.name)) {
          data.push(await readFlat(pages, buffer, metadata, group, c, start - groupStarts[group], end - groupStarts[group], compressors, start, file));
          continue;
        }
        const values = await scan.readColumn({ column: c.name, rowStart: start, rowEnd: end });
        data.push(c.list || c.kind === KIND_STR ? values : numbersOf(values, c, start, file));
      }
      const split = rowHash.splits(data, end - start, columns, start, file);
      for (let i = 0; i < split.length; i++) counts[split[i]]++;
      appendColumns(builders, split, data, columns, start, file);
    }
  } catch (e) {
    if (e instanceof RowError) return { rows: counts, files: splitNames.map(() => null), skipped: 0, skippedSamples: [], error: e.message };
    throw e;
  }

  const files = writeSplitShards(args.outUri, splitNames, args.shardIndex, counts, builders);
  return { rows: counts, files, skipped: 0, skippedSamples: [] };
}

/** A flat plain column's rows [from, to) of a row group through the fast path (flat-column.ts). */
async function readFlat(
  pages: PageLib,
  buffer: AsyncBuffer,
  metadata: FileMetaData,
  group: number,
  column: ParquetColumn,
  from: number,
  to: number,
  compressors: Compressors,
  firstRow: number,
  file: string,
): Promise<Cells> {
  const chunk = metadata.row_groups[group].columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === column.name)!.meta_data!;
  const offset = Number(chunk.dictionary_page_offset || chunk.data_page_offset);
  const bytes = await buffer.slice(offset, offset + Number(chunk.total_compressed_size));
  try {
    return readFlatColumn(pages, bytes, metadata, group, column.name, from, to, compressors);
  } catch (e) {
    if (e instanceof UnsafeInteger) {
      throw new RowError(`${file}: row ${firstRow + e.index + 1}, column "${column.name}": ${e.value} is beyond ±2^53, which an INT feature holds exactly`);
    }
    // Our decoder's HybridError, or hyparquet's (decompression, headers): the bytes are not a valid page.
    throw new RowError(`${file}: row group ${group + 1}, column "${column.name}": a corrupt page: ${(e as Error).message}`);
  }
}

/** A column's cells as read (the generic path's strings and lists), as Numbers, or as Strings (the fast path's). */
type Cells = ArrayLike<unknown> | Numbers | Strings;

function numbersOf(values: ArrayLike<unknown>, column: ParquetColumn, firstRow: number, file: string): Numbers {
  const n = values.length;
  const x = new Float64Array(n);
  const present = new Uint8Array(n).fill(1);
  if (values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array) {
    x.set(values);
    return { x, present };
  }
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'number') x[i] = v;
    else if (v === null || v === undefined) {
      x[i] = NaN;
      present[i] = 0;
    } else x[i] = cellNumber(v, column, firstRow + i, file);
  }
  return { x, present };
}

const isNumbers = (c: Cells): c is Numbers => (c as Numbers).present instanceof Uint8Array;
const isStrings = (c: Cells): c is Strings => (c as Strings).ids instanceof Int32Array;

/**
 * The split of each row, from a canonical encoding of its hashed cells (tag, then bytes or
 * float64), hashed as it is produced: numbers as words of a 32-bit view of their column, strings
 * from their bytes; only the generic path's cells are encoded into a buffer first.
 */
class RowHasher {
  private key: Uint8Array = new Uint8Array(1024);
  private readonly view = new DataView(new ArrayBuffer(8));
  private readonly eight = new Uint8Array(this.view.buffer);
  private readonly hash = new Murmur3Stream();

  constructor(
    private readonly bounds: Float64Array,
    private readonly hashed: number[],
  ) {}

  splits(data: Cells[], rows: number, columns: ParquetColumn[], firstRow: number, file: string): Int32Array {
    const split = new Int32Array(rows);
    const parts = this.hashed.map((j) => {
      const cells = data[j];
      if (isNumbers(cells)) return { kind: 0, cells, words: new Int32Array(cells.x.buffer, cells.x.byteOffset, cells.x.length * 2), j };
      return { kind: isStrings(cells) ? 1 : 2, cells, words: undefined, j };
    });
    const hash = this.hash;
    for (let i = 0; i < rows; i++) {
      hash.reset(SPLIT_SEED);
      for (const part of parts) {
        if (part.kind === 0) {
          if ((part.cells as Numbers).present[i] === 0) hash.byte(TAG_NULL);
          else {
            hash.byte(TAG_NUMBER);
            hash.word(part.words![2 * i]);
            hash.word(part.words![2 * i + 1]);
          }
        } else if (part.kind === 1) {
          const { ids, values } = part.cells as Strings;
          const id = ids[i];
          const v = id < 0 ? undefined : values[id];
          if (v === undefined || v.length === 0) hash.byte(TAG_NULL);
          else {
            hash.byte(TAG_BYTES);
            hash.word(v.length);
            hash.bytes(v, 0, v.length);
          }
        } else {
          const n = this.encode((part.cells as ArrayLike<unknown>)[i], columns[part.j], firstRow + i, file); // may grow this.key
          hash.bytes(this.key, 0, n);
        }
      }
      split[i] = splitOf(hash.digest(), this.bounds);
    }
    return split;
  }

  /** A generic path's cell into this.key from 0; returns its length. */
  private encode(v: unknown, column: ParquetColumn, row: number, file: string): number {
    if (!Array.isArray(v)) return this.put(0, v, column, row, file);
    // A list: its tag and length, then each value as a scalar cell.
    const key = this.ensure(0, 5);
    key[0] = TAG_LIST;
    let n = this.putUint32(1, v.length);
    for (const item of v) {
      if (item === null || item === undefined) throw new RowError(nullElement(file, row, column));
      n = this.put(n, item, column, row, file);
    }
    return n;
  }

  /** The key buffer, grown to hold `more` bytes after the first n. */
  private ensure(n: number, more: number): Uint8Array {
    if (n + more > this.key.length) {
      const bigger = new Uint8Array(Math.max(n + more, this.key.length * 2));
      bigger.set(this.key);
      this.key = bigger;
    }
    return this.key;
  }

  private putUint32(n: number, x: number): number {
    this.view.setUint32(0, x, true);
    this.key.set(this.eight.subarray(0, 4), n);
    return n + 4;
  }

  /** One scalar cell: a tag, then its bytes (length first) or its float64. */
  private put(n: number, v: unknown, column: ParquetColumn, row: number, file: string): number {
    const key = this.ensure(n, 9 + (v instanceof Uint8Array ? v.length + 4 : 0));
    if (v === null || v === undefined || (v instanceof Uint8Array && v.length === 0)) key[n++] = TAG_NULL;
    else if (v instanceof Uint8Array) {
      key[n++] = TAG_BYTES;
      n = this.putUint32(n, v.length);
      key.set(v, n);
      n += v.length;
    } else {
      key[n++] = TAG_NUMBER;
      this.view.setFloat64(0, cellNumber(v, column, row, file), true);
      key.set(this.eight, n);
      n += 8;
    }
    return n;
  }
}

function nullElement(file: string, row: number, column: ParquetColumn): string {
  return `${file}: row ${row + 1}, column "${column.name}": the list holds a null value, which a list feature cannot hold (a missing list is null as a whole)`;
}

/** A list column's cells into each row's split: null is a missing list, [] one present with no values. */
function appendLists(builders: ListColumnBuilder[], split: Int32Array, values: ArrayLike<unknown>, column: ParquetColumn, firstRow: number, file: string): void {
  for (let i = 0; i < split.length; i++) {
    const b = builders[split[i]];
    const v = values[i];
    if (v === null || v === undefined) {
      b.appendNull();
      continue;
    }
    const items = v as unknown[];
    for (const item of items) if (item === null || item === undefined) throw new RowError(nullElement(file, firstRow + i, column));
    if (column.kind === KIND_STR) b.appendStrings(items.map((x) => (x instanceof Uint8Array ? x : Buffer.from(String(x)))));
    else b.appendNumbers(items.map((x) => cellNumber(x, column, firstRow + i, file)));
  }
}

function appendNumbers(builders: ColumnBuilder[], split: Int32Array, { x, present }: Numbers, column: ParquetColumn, firstRow: number, file: string): void {
  const int32 = column.kind === KIND_I32;
  for (let i = 0; i < split.length; i++) {
    const b = builders[split[i]];
    if (present[i] === 0) b.appendNull();
    else if (int32) {
      const v = x[i];
      if ((v | 0) !== v) {
        throw new RowError(`${file}: row ${firstRow + i + 1}, column "${column.name}": ${v} does not fit the int32 range its statistics declare`);
      }
      b.appendInt(v);
    } else b.appendFloat(x[i]);
  }
}

/**
 * A fast-path string column into each row's split. An entry's first row in a split looks it up in
 * that split's dictionary (in row order, so the dictionary is the same as value by value); its
 * later rows reuse the index found.
 */
function appendStrings(builders: ColumnBuilder[], split: Int32Array, { ids, values }: Strings): void {
  const found = builders.map(() => new Int32Array(values.length).fill(-1));
  for (let i = 0; i < split.length; i++) {
    const s = split[i];
    const b = builders[s];
    const id = ids[i];
    if (id < 0) {
      b.appendNull();
      continue;
    }
    const index = found[s][id];
    if (index >= 0) {
      b.appendIndex(index);
      continue;
    }
    const bytes = values[id];
    if (bytes.length === 0) b.appendNull(); // an empty string is missing, as an empty CSV cell
    else found[s][id] = b.appendBytes(bytes, 0, bytes.length);
  }
}

/** Column by column into each row's split. */
function appendColumns(builders: (ColumnBuilder | ListColumnBuilder)[][], split: Int32Array, data: Cells[], columns: ParquetColumn[], firstRow: number, file: string): void {
  columns.forEach((column, j) => {
    const values = data[j];
    if (isNumbers(values)) {
      appendNumbers(builders.map((b) => b[j] as ColumnBuilder), split, values, column, firstRow, file);
      return;
    }
    if (isStrings(values)) {
      appendStrings(builders.map((b) => b[j] as ColumnBuilder), split, values);
      return;
    }
    if (column.list) {
      appendLists(builders.map((b) => b[j] as ListColumnBuilder), split, values, column, firstRow, file);
      return;
    }
    // A string column.
    for (let i = 0; i < split.length; i++) {
      const b = builders[split[i]][j] as ColumnBuilder;
      const v = values[i];
      if (v === null || v === undefined) b.appendNull();
      else {
        const bytes = v instanceof Uint8Array ? v : Buffer.from(String(v));
        if (bytes.length === 0) b.appendNull(); // an empty string is missing, as an empty CSV cell
        else b.appendBytes(bytes, 0, bytes.length);
      }
    }
  });
}
