/**
 * Arrow shards ↔ columns for Transform: raw Examples shards are read into the columnar form user
 * code sees (numbers as Float64Array with NaN for missing, strings as (string | null)[]), and
 * transformed columns are written as Examples shards, batch by batch (numeric → Float64 holding
 * float32 values, categorical → Int32).
 */
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type Data, DataType, type List, RecordBatchFileWriter, type Table, type Vector, makeVector, tableFromArrays, tableFromIPC } from 'apache-arrow';
import { UserError } from '../../core/errors.ts';
import type { ListColumn, RawColumns, TransformedColumns } from '../../ml/api.ts';
import type { RawFeature } from '../../ml/transform-graph.ts';

function isNull(d: Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap) return false;
  const bit = d.offset + i;
  return (d.nullBitmap[bit >> 3] & (1 << (bit & 7))) === 0;
}

/** A numeric column as Float64Array, NaN for missing. */
export function readNumeric(vector: Vector, rows: number): Float64Array {
  const out = new Float64Array(rows);
  let at = 0;
  for (const d of vector.data) {
    const values = d.values as ArrayLike<number>;
    for (let i = 0; i < d.length; i++) out[at + i] = isNull(d, i) ? NaN : Number(values[i]);
    at += d.length;
  }
  return out;
}

function readStrings(vector: Vector, rows: number): (string | null)[] {
  const out = new Array<string | null>(rows);
  let at = 0;
  for (const d of vector.data) {
    if (DataType.isDictionary(d.type)) {
      const dict = d.dictionary ? ([...d.dictionary] as (string | null)[]) : [];
      const idx = d.values as Int32Array;
      for (let i = 0; i < d.length; i++) out[at + i] = isNull(d, i) ? null : dict[idx[i]];
    } else {
      for (let i = 0; i < d.length; i++) out[at + i] = (vector.get(at + i) as string | null) ?? null;
    }
    at += d.length;
  }
  return out;
}

/**
 * A list feature as a ListColumn: an Arrow List column's values and row splits (a null list is
 * empty); a scalar column (a file where the feature always had one value) as lists of one.
 */
function readList(vector: Vector | null, rows: number, f: RawFeature, file: string): ListColumn<Float64Array> | ListColumn<string[]> {
  const row_splits = new Int32Array(rows + 1);
  const value_count = f.valueCount ? { value_count: f.valueCount } : {};
  const strings = f.type === 'STRING';
  if (!vector) return strings ? { values: [], row_splits, ...value_count } : { values: new Float64Array(0), row_splits, ...value_count };
  if (!DataType.isList(vector.type)) {
    const scalars: ArrayLike<string | number | null> = strings ? readStrings(vector, rows) : readNumeric(vector, rows);
    const values: (string | number)[] = [];
    for (let i = 0; i < rows; i++) {
      const v = scalars[i];
      if (v !== null && !(typeof v === 'number' && Number.isNaN(v))) values.push(strings ? String(v) : v);
      row_splits[i + 1] = values.length;
    }
    return strings ? { values: values as string[], row_splits, ...value_count } : { values: Float64Array.from(values as number[]), row_splits, ...value_count };
  }
  const itemType = (vector.type as List).valueType;
  if (strings !== (DataType.isUtf8(itemType) || DataType.isDictionary(itemType))) {
    throw new UserError(`Feature "${f.name}" is a ${f.type} list in the schema but holds ${strings ? 'numbers' : 'strings'} in ${file}`, { file, field: f.name });
  }
  // A List Data's valueOffsets already start at its first row, also in a slice (its `offset` counts
  // for the validity bitmap only), and index its whole child.
  let total = 0;
  for (const d of vector.data) total += d.valueOffsets[d.length] - d.valueOffsets[0];
  const numbers = strings ? undefined : new Float64Array(total);
  const texts = strings ? new Array<string>(total) : undefined;
  let row = 0;
  let at = 0;
  for (const d of vector.data) {
    const offsets = d.valueOffsets as Int32Array;
    const child = d.children[0];
    const childVector = strings ? makeVector(child) : undefined;
    for (let i = 0; i < d.length; i++) {
      const from = offsets[i];
      const to = offsets[i + 1];
      for (let j = from; j < to; j++) {
        if (numbers) numbers[at++] = Number((child.values as ArrayLike<number>)[j]);
        else texts![at++] = String(childVector!.get(j) ?? '');
      }
      row_splits[++row] = at;
    }
  }
  return numbers ? { values: numbers, row_splits, ...value_count } : { values: texts!, row_splits, ...value_count };
}

/** The raw columns of one shard; a STRING feature stored as numbers (schema says BYTES) reads as their decimal strings. */
export function readRawShard(file: string, rawFeatures: RawFeature[]): { rows: number; columns: RawColumns } {
  return rawColumnsOf(readShardTable(file), rawFeatures, file);
}

export function readShardTable(file: string): Table {
  try {
    return tableFromIPC(readFileSync(file));
  } catch (e) {
    throw new UserError(`Cannot read Arrow shard ${file}: ${(e as Error).message}`, { file });
  }
}

/** The raw columns of a shard's table (see readRawShard). */
export function rawColumnsOf(table: Table, rawFeatures: RawFeature[], file: string): { rows: number; columns: RawColumns } {
  const rows = table.numRows;
  const columns: RawColumns = {};
  for (const f of rawFeatures) {
    const vector = table.getChild(f.name);
    if (f.list) {
      columns[f.name] = readList(vector, rows, f, file);
      continue;
    }
    if (vector && DataType.isList(vector.type)) {
      throw new UserError(`Feature "${f.name}" is a list column in ${file}, but the transform graph reads it as a single value`, { file, field: f.name });
    }
    if (!vector) {
      columns[f.name] = f.type === 'STRING' ? new Array<string | null>(rows).fill(null) : new Float64Array(rows).fill(NaN);
      continue;
    }
    const stringData = DataType.isDictionary(vector.type) || DataType.isUtf8(vector.type);
    if (f.type === 'STRING') {
      columns[f.name] = stringData ? readStrings(vector, rows) : Array.from(readNumeric(vector, rows), (v) => (Number.isNaN(v) ? null : String(v)));
    } else if (stringData) {
      throw new UserError(`Feature "${f.name}" is ${f.type} in the schema but holds strings in ${file}`, { file, field: f.name });
    } else {
      columns[f.name] = readNumeric(vector, rows);
    }
  }
  return { rows, columns };
}

/**
 * Writes a transformed shard to an Arrow IPC file one record batch at a time, as the batches are
 * transformed: the file streams to disk, so a worker holds one batch of output rows, not the
 * shard's. Every batch must have the columns and types of the first (`add` throws otherwise).
 */
export class TransformedShardWriter {
  private readonly writer = new RecordBatchFileWriter();
  private readonly written: Promise<void>;
  private layout: string | undefined;

  constructor(private readonly file: string) {
    this.written = pipeline(this.writer.toNodeStream(), createWriteStream(file));
    // A failed write surfaces from close(); until then nobody awaits it.
    this.written.catch(() => undefined);
  }

  /** One batch of rows (`where` names them in errors); resolves once the file stream took it. */
  async add(columns: TransformedColumns, where: string): Promise<void> {
    const arrays: Record<string, Float64Array | Int32Array> = {};
    for (const [name, c] of Object.entries(columns)) arrays[name] = c instanceof Int32Array ? c : Float64Array.from(c);
    const layout = Object.entries(arrays).map(([name, c]) => `${name}:${c instanceof Int32Array ? 'int32' : 'float32'}`).join(', ');
    if (this.layout === undefined) this.layout = layout;
    else if (layout !== this.layout) {
      throw new UserError(`preprocessing_fn outputs ${layout} for ${where}, but ${this.layout} for earlier rows: every batch must have the same outputs and types`);
    }
    for (const batch of tableFromArrays(arrays).batches) this.writer.write(batch);
    // Let the file stream take the batch before the next one is made.
    await new Promise((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    this.writer.finish();
    await this.written;
  }

  /** Stops writing and removes the partial file (nothing half-written stays behind). */
  async abort(): Promise<void> {
    // Ended, not aborted: arrow's abort leaves the file stream open forever.
    this.writer.finish();
    await this.written.catch(() => undefined);
    rmSync(this.file, { force: true });
  }
}
