/**
 * TensorBoard event files, hand-encoded (no TensorFlow needed to write them):
 *
 * - file: `events.out.tfevents.<seconds>.<host>` — TensorBoard picks up any name containing "tfevents";
 * - TFRecord framing per record: uint64 length (LE), uint32 masked CRC32C of the 8 length bytes,
 *   the data, uint32 masked CRC32C of the data; mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8;
 * - data: an `Event` protobuf (tensorflow/core/util/event.proto): wall_time (1, double),
 *   step (2, int64), file_version (3, string) in the first record, summary (5) with
 *   `Summary.Value { tag (1), simple_value (2, float) }` for scalars.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

// ---- CRC32C (Castagnoli, reflected polynomial 0x82f63b78), table-driven -------------------------

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, its masked CRC. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---- protobuf encoding: just the wire types the Event message needs ----------------------------

class ProtoWriter {
  private parts: number[] = [];

  private varint(v: number | bigint): void {
    let x = BigInt(v);
    if (x < 0n) x = BigInt.asUintN(64, x); // int64 negatives take 10 bytes, as in protobuf
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.parts.push(...b);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(...b);
    return this;
  }

  int64(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(Math.trunc(v));
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.parts.push(...b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** `Event { wall_time, step, summary { value [{ tag, simple_value }] } }`. */
export function encodeScalarEvent(wallTime: number, step: number, scalars: Record<string, number>): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) {
    summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

/** The first record of every event file: `Event { wall_time, file_version: "brain.Event:2" }`. */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

/** Appends scalar summaries to one event file in `logdir` (created on construction). */
export class EventFileWriter {
  readonly file: string;
  private fd: number | undefined;

  constructor(
    logdir: string,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    mkdirSync(logdir, { recursive: true });
    const t = now();
    this.file = join(logdir, `events.out.tfevents.${Math.floor(t)}.${hostname()}`);
    this.fd = openSync(this.file, 'a');
    this.write(encodeFileVersionEvent(t));
  }

  private write(event: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`Event file ${this.file} is closed`);
    writeSync(this.fd, tfRecord(event));
  }

  /** Non-finite values are written as they are (TensorBoard shows NaN); tags as given. */
  scalars(step: number, values: Record<string, number>): void {
    if (Object.keys(values).length) this.write(encodeScalarEvent(this.now(), step, values));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
