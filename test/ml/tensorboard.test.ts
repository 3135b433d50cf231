import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, encodeScalarEvent, EventFileWriter, maskedCrc32c, tfRecord } from '../../runtime/src/ml/tensorboard.ts';

// ---- an independent reader: bitwise CRC32C, TFRecord framing, a minimal protobuf decoder --------

function crc32cBitwise(bytes: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
    crc >>>= 0;
  }
  return ~crc >>> 0;
}
const mask = (c: number) => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

function readRecords(buf: Uint8Array): Uint8Array[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = Number(view.getBigUint64(at, true));
    assert.equal(view.getUint32(at + 8, true), mask(crc32cBitwise(buf.subarray(at, at + 8))), 'length CRC');
    const data = buf.subarray(at + 12, at + 12 + len);
    assert.equal(view.getUint32(at + 12 + len, true), mask(crc32cBitwise(data)), 'data CRC');
    out.push(data);
    at += 16 + len;
  }
  assert.equal(at, buf.length);
  return out;
}

type Field = { field: number; wire: number; value: number | bigint | Uint8Array };
function decode(buf: Uint8Array): Field[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fields: Field[] = [];
  let at = 0;
  const varint = () => {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++];
      x |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return x;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) fields.push({ field, wire, value: view.getFloat64((at += 8) - 8, true) });
    else if (wire === 5) fields.push({ field, wire, value: view.getFloat32((at += 4) - 4, true) });
    else if (wire === 2) {
      const n = Number(varint());
      fields.push({ field, wire, value: buf.subarray(at, (at += n)) });
    } else throw new Error(`wire type ${wire}`);
  }
  return fields;
}
const text = (v: Field['value']) => new TextDecoder().decode(v as Uint8Array);

describe('ml/tensorboard event files', () => {
  it('CRC32C matches the RFC 3720 / iSCSI check values', () => {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 2654435761) >>> 24);
    assert.equal(crc32c(random), crc32cBitwise(random));
    assert.equal(maskedCrc32c(random), mask(crc32cBitwise(random)));
  });

  it('encodes a scalar Event byte for byte as worked out by hand', () => {
    // Event{wall_time: 1.5, step: 3, summary{value{tag: "loss", simple_value: 0.25}}}
    const expected = [
      0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, // field 1 (double) 1.5
      0x10, 0x03, // field 2 (varint) 3
      0x2a, 0x0d, // field 5 (summary), 13 bytes
      0x0a, 0x0b, // Summary.value, 11 bytes
      0x0a, 0x04, 0x6c, 0x6f, 0x73, 0x73, // Value.tag "loss"
      0x15, 0x00, 0x00, 0x80, 0x3e, // Value.simple_value (float) 0.25
    ];
    assert.deepEqual(Array.from(encodeScalarEvent(1.5, 3, { loss: 0.25 })), expected);
    // Framing: 8-byte LE length 26, then CRCs.
    const rec = tfRecord(Uint8Array.from(expected));
    assert.deepEqual(Array.from(rec.subarray(0, 8)), [26, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(rec.length, 26 + 16);
    assert.deepEqual(readRecords(rec).map((r) => Array.from(r)), [expected]);
  });

  it('writes a file TensorBoard reads: file_version first, then one event per step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trib-tb-'));
    try {
      let t = 1700000000.25;
      const w = new EventFileWriter(join(dir, 'train'), () => (t += 1));
      w.scalars(0, { epoch_loss: 0.69, epoch_acc: 0.5 });
      w.scalars(1, { epoch_loss: 0.41 });
      w.close();
      const files = readdirSync(join(dir, 'train'));
      assert.equal(files.length, 1);
      assert.match(files[0], /^events\.out\.tfevents\.1700000001\./);
      const records = readRecords(readFileSync(join(dir, 'train', files[0])));
      assert.equal(records.length, 3);
      const first = decode(records[0]);
      assert.deepEqual(first.map((f) => f.field), [1, 3]);
      assert.equal(first[0].value, 1700000001.25);
      assert.equal(text(first[1].value), 'brain.Event:2');

      const scalars = records.slice(1).map((r) => {
        const ev = decode(r);
        const step = Number(ev.find((f) => f.field === 2)!.value);
        const summary = decode(ev.find((f) => f.field === 5)!.value as Uint8Array);
        const values = summary.map((v) => {
          const vf = decode(v.value as Uint8Array);
          return [text(vf.find((f) => f.field === 1)!.value), vf.find((f) => f.field === 2)!.value as number] as const;
        });
        return { step, values };
      });
      assert.equal(scalars[0].step, 0);
      assert.equal(scalars[1].step, 1);
      assert.deepEqual(scalars[0].values.map(([k]) => k), ['epoch_loss', 'epoch_acc']);
      assert.equal(scalars[0].values[0][1], Math.fround(0.69));
      assert.equal(scalars[1].values[0][1], Math.fround(0.41));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
