/**
 * A variable-length feature as an Arrow List column: List<Float64> for int64 and float lists (an
 * int list carries `tributary.type = INT` on its field, exact to 2^53, as INT scalars stored as
 * Float64 do) and List<Utf8> for bytes lists. A null list is a missing feature; an empty list is
 * a feature present with zero values (TFDV counts it as present).
 */
import { type Data, Field, Float64, List, Utf8, makeData } from '../../formats/arrow.ts';
import { ARROW_TYPE_METADATA_KEY, type FeatureType } from '../../formats/examples.ts';
import type { ArrowColumn } from '../csv-example-gen/column-builders.ts';

export class ListColumnBuilder implements ArrowColumn {
  length = 0;
  nullCount = 0;
  private validity = new Uint8Array(16);
  private offsets = new Int32Array(17);
  private numbers = new Float64Array(16);
  private bytes = new Uint8Array(256);
  private byteOffsets = new Int32Array(17);
  private values = 0;

  constructor(
    readonly name: string,
    readonly type: FeatureType,
  ) {}

  private grow<T extends Int32Array | Float64Array | Uint8Array>(a: T, min: number): T {
    if (a.length >= min) return a;
    const b = new (a.constructor as new (n: number) => T)(Math.max(min, a.length * 2));
    b.set(a);
    return b;
  }

  private endRow(present: boolean): void {
    const n = this.length;
    this.validity = this.grow(this.validity, (n >> 3) + 1);
    if (present) this.validity[n >> 3] |= 1 << (n & 7);
    else this.nullCount++;
    this.offsets = this.grow(this.offsets, n + 2);
    this.offsets[n + 1] = this.values;
    this.length = n + 1;
  }

  appendNull(): void {
    this.endRow(false);
  }

  appendNumbers(values: ArrayLike<number>): void {
    this.numbers = this.grow(this.numbers, this.values + values.length);
    for (let i = 0; i < values.length; i++) this.numbers[this.values + i] = values[i];
    this.values += values.length;
    this.endRow(true);
  }

  appendStrings(values: Uint8Array[]): void {
    this.byteOffsets = this.grow(this.byteOffsets, this.values + values.length + 1);
    let at = this.byteOffsets[this.values];
    for (const v of values) {
      this.bytes = this.grow(this.bytes, at + v.length);
      this.bytes.set(v, at);
      at += v.length;
      this.byteOffsets[++this.values] = at;
    }
    this.endRow(true);
  }

  field(): Field {
    const item = new Field('item', this.type === 'STRING' ? new Utf8() : new Float64(), false);
    const metadata = this.type === 'INT' ? new Map([[ARROW_TYPE_METADATA_KEY, 'INT']]) : new Map<string, string>();
    return new Field(this.name, new List(item), true, metadata);
  }

  data(type: Field['type']): Data {
    const n = this.values;
    const child =
      this.type === 'STRING'
        ? makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: this.byteOffsets.subarray(0, n + 1), data: this.bytes.subarray(0, this.byteOffsets[n]) })
        : makeData({ type: new Float64(), length: n, nullCount: 0, data: this.numbers.subarray(0, n) });
    return makeData({
      type,
      length: this.length,
      nullCount: this.nullCount,
      nullBitmap: this.nullCount > 0 ? this.validity.subarray(0, (this.length + 7) >> 3) : undefined,
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      child,
    });
  }
}
