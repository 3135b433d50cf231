/**
 * Growable typed-array column builders and their conversion to one Arrow record batch, laid out
 * per runtime/src/formats/examples.ts. Strings go through a per-shard dictionary keyed by bytes
 * (open addressing over a byte arena), so repeated values cost a hash and a compare, new values
 * are copied once, and the arena *is* the Arrow Utf8 dictionary: nothing is decoded to JS strings.
 */
import { type Data, Dictionary, Field, Float64, Int32, RecordBatch, Schema, Struct, Table, Utf8, makeData, makeVector, tableToIPC } from '../../formats/arrow.ts';
import { ARROW_TYPE_METADATA_KEY } from '../../formats/examples.ts';
import { KIND_F64, KIND_I32, KIND_I53, KIND_STR } from './values.ts';

function grow<T extends Int32Array | Float64Array | Uint8Array>(a: T, min: number): T {
  let n = a.length * 2 || 16;
  while (n < min) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * Value arrays of the shards this thread finished, reused by its next range (as RangeReader reuses
 * its read buffer). A fresh set per range (~11 MB at the default shard size) is malloc'd outside the
 * V8 heap and freed only when a GC notices; with two workers doing that in their own malloc arenas,
 * peak RSS grew with the number of ranges. Safe because a range is parsed and written synchronously
 * and nothing keeps the arrays once its Arrow file is written.
 */
const SPARE_MAX_BYTES = 64 * 1024 * 1024;
const spares = { i32: [] as Int32Array<ArrayBuffer>[], f64: [] as Float64Array<ArrayBuffer>[], u8: [] as Uint8Array<ArrayBuffer>[] };
let spareBytes = 0;

/** The smallest spare with at least `n` elements, or a new array; never shorter than `n`. */
function take<T extends Int32Array | Float64Array | Uint8Array>(list: T[], n: number, make: (n: number) => T): T {
  let best = -1;
  for (let i = 0; i < list.length; i++) if (list[i].length >= n && (best < 0 || list[i].length < list[best].length)) best = i;
  if (best < 0) return make(n);
  const a = list[best];
  list[best] = list[list.length - 1];
  list.pop();
  spareBytes -= a.byteLength;
  return a;
}

function keep<T extends Int32Array | Float64Array | Uint8Array>(list: T[], a: T): void {
  if (a.length === 0 || spareBytes + a.byteLength > SPARE_MAX_BYTES) return;
  list.push(a);
  spareBytes += a.byteLength;
}

export class ByteDictionary {
  count = 0;
  arena = new Uint8Array(1 << 16);
  arenaLength = 0;
  offsets = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private table = new Int32Array(2048); // entry index + 1, 0 = empty
  private mask = 2047;

  indexOf(buf: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const len = e - s;
    let slot = h & this.mask;
    for (;;) {
      const entry = this.table[slot];
      if (entry === 0) break;
      const idx = entry - 1;
      if (this.hashes[idx] === h) {
        const os = this.offsets[idx];
        if (this.offsets[idx + 1] - os === len) {
          let k = 0;
          while (k < len && this.arena[os + k] === buf[s + k]) k++;
          if (k === len) return idx;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    const idx = this.count++;
    if (idx + 2 > this.offsets.length) {
      this.offsets = grow(this.offsets, idx + 2);
      this.hashes = grow(this.hashes, idx + 2);
    }
    if (this.arenaLength + len > this.arena.length) this.arena = grow(this.arena, this.arenaLength + len);
    this.arena.set(buf.subarray(s, e), this.arenaLength);
    this.arenaLength += len;
    this.offsets[idx + 1] = this.arenaLength;
    this.hashes[idx] = h;
    this.table[slot] = idx + 1;
    if (this.count * 2 > this.mask) this.rehash();
    return idx;
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
    for (let idx = 0; idx < this.count; idx++) {
      let slot = this.hashes[idx] & this.mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot] = idx + 1;
    }
  }

  toData(): Data<Utf8> {
    return makeData({
      type: new Utf8(),
      length: this.count,
      nullCount: 0,
      valueOffsets: this.offsets.subarray(0, this.count + 1),
      data: this.arena.subarray(0, this.arenaLength),
    });
  }
}

/** One column of one split of one shard. Values of the inactive kinds stay unallocated. */
export class ColumnBuilder {
  length = 0;
  nullCount = 0;
  validity = new Uint8Array(128);
  ints: Int32Array;
  floats: Float64Array;
  indices: Int32Array;
  dict: ByteDictionary | undefined;

  /** `capacity`: expected rows, so the arrays rarely regrow (regrowth showed in profiles). */
  constructor(
    readonly name: string,
    public kind: number,
    capacity = 1024,
  ) {
    this.ints = kind === KIND_I32 ? take(spares.i32, capacity, (n) => new Int32Array(n)) : new Int32Array(0);
    this.floats = kind === KIND_I53 || kind === KIND_F64 ? take(spares.f64, capacity, (n) => new Float64Array(n)) : new Float64Array(0);
    this.indices = kind === KIND_STR ? take(spares.i32, capacity, (n) => new Int32Array(n)) : new Int32Array(0);
    this.dict = kind === KIND_STR ? new ByteDictionary() : undefined;
    // Validity bits are OR-ed in (a null leaves its bit 0), so a reused bitmap starts cleared.
    this.validity = take(spares.u8, (capacity >> 3) + 1, (n) => new Uint8Array(n)).fill(0);
  }

  /** Hands the value arrays to the next range of this thread; the builder must not be used after. */
  release(): void {
    keep(spares.i32, this.ints);
    keep(spares.f64, this.floats);
    keep(spares.i32, this.indices);
    keep(spares.u8, this.validity);
    this.ints = new Int32Array(0);
    this.floats = new Float64Array(0);
    this.indices = new Int32Array(0);
    this.validity = new Uint8Array(0);
    this.length = 0;
  }

  private reserve(): number {
    const n = this.length;
    if (n >> 3 >= this.validity.length) this.validity = grow(this.validity, (n >> 3) + 1);
    return n;
  }

  /** A null's value slot is written too (0): a reused array holds the last range's values there, and Arrow writes the slot. */
  appendNull(): void {
    const n = this.reserve();
    if (this.kind === KIND_I32) {
      if (n >= this.ints.length) this.ints = grow(this.ints, n + 1);
      this.ints[n] = 0;
    } else if (this.kind === KIND_STR) {
      if (n >= this.indices.length) this.indices = grow(this.indices, n + 1);
      this.indices[n] = 0;
    } else {
      if (n >= this.floats.length) this.floats = grow(this.floats, n + 1);
      this.floats[n] = 0;
    }
    this.nullCount++;
    this.length = n + 1;
  }

  appendInt(v: number): void {
    const n = this.reserve();
    if (n >= this.ints.length) this.ints = grow(this.ints, n + 1);
    this.ints[n] = v;
    this.validity[n >> 3] |= 1 << (n & 7);
    this.length = n + 1;
  }

  appendFloat(v: number): void {
    const n = this.reserve();
    if (n >= this.floats.length) this.floats = grow(this.floats, n + 1);
    this.floats[n] = v;
    this.validity[n >> 3] |= 1 << (n & 7);
    this.length = n + 1;
  }

  /** Returns the value's index in this column's dictionary (see appendIndex). */
  appendBytes(buf: Uint8Array, s: number, e: number): number {
    const index = this.dict!.indexOf(buf, s, e);
    this.appendIndex(index);
    return index;
  }

  /** A value already in the dictionary, by the index an earlier appendBytes returned. */
  appendIndex(index: number): void {
    const n = this.reserve();
    if (n >= this.indices.length) this.indices = grow(this.indices, n + 1);
    this.indices[n] = index;
    this.validity[n >> 3] |= 1 << (n & 7);
    this.length = n + 1;
  }

  /** Converts Int32 values to Float64 storage in place (int32 → int53 or float widening). */
  widenToFloat(kind: number): void {
    if (this.kind === KIND_I32) {
      const f = new Float64Array(Math.max(this.ints.length, 16));
      for (let i = 0; i < this.length; i++) f[i] = this.ints[i];
      this.floats = f;
      this.ints = new Int32Array(0);
    }
    this.kind = kind;
  }

  /**
   * `column`: the column's index, which becomes a string column's dictionary id. Arrow otherwise
   * takes the next id of a per-thread counter, so a shard's bytes would depend on how many shards
   * the same worker wrote before it (and thus on the pool size and on scheduling).
   */
  field(column: number): Field {
    if (this.kind === KIND_I32) return new Field(this.name, new Int32(), true);
    if (this.kind === KIND_I53) return new Field(this.name, new Float64(), true, new Map([[ARROW_TYPE_METADATA_KEY, 'INT']]));
    if (this.kind === KIND_F64) return new Field(this.name, new Float64(), true);
    return new Field(this.name, new Dictionary(new Utf8(), new Int32(), column), true);
  }

  data(type: Field['type']): Data {
    const length = this.length;
    const nullBitmap = this.nullCount > 0 ? this.validity.subarray(0, (length + 7) >> 3) : undefined;
    const base = { type, length, nullCount: this.nullCount, nullBitmap };
    if (this.kind === KIND_I32) return makeData({ ...base, data: this.ints.subarray(0, length) });
    if (this.kind === KIND_STR) {
      return makeData({ ...base, data: this.indices.subarray(0, length), dictionary: makeVector(this.dict!.toData()) });
    }
    return makeData({ ...base, data: this.floats.subarray(0, length) });
  }
}

/** What a column contributes to a record batch (ColumnBuilder, or ImportExampleGen's list columns). */
export interface ArrowColumn {
  field(column: number): Field;
  data(type: Field['type']): Data;
}

/** Arrow IPC *file* bytes of one record batch made of the given columns. */
export function toArrowFile(columns: ArrowColumn[], rows: number): Uint8Array {
  const fields = columns.map((c, j) => c.field(j));
  const schema = new Schema(fields);
  const children = columns.map((c, i) => c.data(fields[i].type));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  return tableToIPC(new Table([batch]), 'file');
}
