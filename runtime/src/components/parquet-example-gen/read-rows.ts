/**
 * Worker side: one shard = consecutive row groups of one Parquet file, read column by column with
 * hyparquet (a scan over exactly these rows, so only their column chunks are fetched and
 * decompressed), assigned to splits by a hash of each row's values and written as one Arrow file
 * per split, with the column builders CsvExampleGen uses.
 */
import { ColumnBuilder } from '../csv-example-gen/column-builders.ts';
import { SPLIT_SEED, murmur3, splitBounds, splitOf } from '../csv-example-gen/row-hash.ts';
import { KIND_I32, KIND_STR } from '../csv-example-gen/values.ts';
import type { ShardOutcome } from '../example-gen-common/output.ts';
import { writeSplitShards } from '../example-gen-common/write-shards.ts';
import type { ParquetColumn } from './columns.ts';

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
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const TAG_NULL = 0;
const TAG_NUMBER = 1;
const TAG_BYTES = 2;

/** Strings stay bytes: they go to the Arrow dictionary and the row hash as they are, never decoded. */
const parsers = { stringFromBytes: (bytes: Uint8Array) => bytes };

class RowError extends Error {}

/** A cell as a number (ints, bools, floats) or bytes (strings), or null for a missing value. */
function cellNumber(v: unknown, column: ParquetColumn, row: number, file: string): number {
  if (typeof v === 'bigint') {
    if (v > BigInt(MAX_SAFE) || v < -BigInt(MAX_SAFE)) {
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
  const capacity = Math.ceil((rows / args.ratios.reduce((a, b) => a + b, 0)) * Math.max(...args.ratios) * 1.05) + 16;
  const builders = splitNames.map(() => columns.map((c) => new ColumnBuilder(c.name, c.kind, capacity)));
  const counts = splitNames.map(() => 0);
  const hashed = args.splitKey ? args.splitKey.map((k) => columns.findIndex((c) => c.name === k)) : columns.map((_, j) => j);
  const rowHash = new RowHasher(splitBounds(args.ratios), hashed);
  try {
    // Row group by row group (readColumn serves ranges within one group): only one group's values are held.
    for (const range of scan.ranges) {
      const start = Math.max(rowStart, range.rowStart);
      const end = Math.min(rowEnd, range.rowEnd);
      if (end <= start) continue;
      const data: ArrayLike<unknown>[] = [];
      for (const c of columns) data.push(await scan.readColumn({ column: c.name, rowStart: start, rowEnd: end }));
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

/** The split of each row, from a canonical encoding of its hashed cells (tag, then bytes or float64). */
class RowHasher {
  private key = new Uint8Array(1024);
  private readonly view = new DataView(new ArrayBuffer(8));
  private readonly eight = new Uint8Array(this.view.buffer);

  constructor(
    private readonly bounds: Float64Array,
    private readonly hashed: number[],
  ) {}

  splits(data: ArrayLike<unknown>[], rows: number, columns: ParquetColumn[], firstRow: number, file: string): Int32Array {
    const split = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let n = 0;
      for (const j of this.hashed) {
        const v = data[j][i];
        const need = n + 9 + (v instanceof Uint8Array ? v.length + 4 : 0);
        if (need > this.key.length) {
          const bigger = new Uint8Array(Math.max(need, this.key.length * 2));
          bigger.set(this.key);
          this.key = bigger;
        }
        const key = this.key;
        if (v === null || v === undefined || (v instanceof Uint8Array && v.length === 0)) key[n++] = TAG_NULL;
        else if (v instanceof Uint8Array) {
          key[n++] = TAG_BYTES;
          this.view.setUint32(0, v.length, true);
          key.set(this.eight.subarray(0, 4), n);
          key.set(v, n + 4);
          n += 4 + v.length;
        } else {
          key[n++] = TAG_NUMBER;
          this.view.setFloat64(0, cellNumber(v, columns[j], firstRow + i, file), true);
          key.set(this.eight, n);
          n += 8;
        }
      }
      split[i] = splitOf(murmur3(this.key, 0, n, SPLIT_SEED), this.bounds);
    }
    return split;
  }
}

/** Column by column into each row's split. */
function appendColumns(builders: ColumnBuilder[][], split: Int32Array, data: ArrayLike<unknown>[], columns: ParquetColumn[], firstRow: number, file: string): void {
  columns.forEach((column, j) => {
    const values = data[j];
    for (let i = 0; i < split.length; i++) {
      const b = builders[split[i]][j];
      const v = values[i];
      if (v === null || v === undefined) b.appendNull();
      else if (column.kind === KIND_STR) {
        const bytes = v instanceof Uint8Array ? v : Buffer.from(String(v));
        if (bytes.length === 0) b.appendNull(); // an empty string is missing, as an empty CSV cell
        else b.appendBytes(bytes, 0, bytes.length);
      } else {
        const x = cellNumber(v, column, firstRow + i, file);
        if (column.kind === KIND_I32) {
          if (!Number.isInteger(x) || x < INT32_MIN || x > INT32_MAX) {
            throw new RowError(`${file}: row ${firstRow + i + 1}, column "${column.name}": ${x} does not fit the int32 range its statistics declare`);
          }
          b.appendInt(x);
        } else b.appendFloat(x);
      }
    }
  });
}
