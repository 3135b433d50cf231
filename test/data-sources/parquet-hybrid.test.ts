import assert from 'node:assert/strict';
import { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { HybridError, readHybrid } from '../../runtime/src/components/parquet-example-gen/hybrid.ts';

/** A deterministic mix of runs (RLE) and varied stretches (bit-packed) of values below 2^width. */
function values(count: number, width: number, seed: number): number[] {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0), s);
  const max = 2 ** width;
  const out: number[] = [];
  while (out.length < count) {
    const v = width === 0 ? 0 : next() % max;
    const run = next() % 4 === 0 ? 8 + (next() % 40) : 1;
    for (let k = 0; k < run && out.length < count; k++) out.push(run > 1 ? v : width === 0 ? 0 : next() % max);
  }
  return out;
}

/** Bit-packed groups written bit by bit with BigInt (hyparquet-writer's packer holds ≤ 25-bit values). */
function bitPacked(vals: number[], width: number): Uint8Array {
  const groups = Math.ceil(vals.length / 8);
  let bits = 0n;
  vals.forEach((v, i) => (bits |= BigInt(v) << BigInt(i * width)));
  const payload = Array.from({ length: groups * width }, (_, i) => Number((bits >> BigInt(8 * i)) & 0xffn));
  const header: number[] = [];
  for (let h = (groups << 1) | 1; ; h >>>= 7) {
    header.push(h > 0x7f ? (h & 0x7f) | 0x80 : h);
    if (h <= 0x7f) break;
  }
  return Uint8Array.from([...header, ...payload]);
}

describe('Parquet RLE / bit-packed hybrid decoder', () => {
  it('decodes what hyparquet-writer encodes, runs and bit-packed groups, at every width up to 24', () => {
    for (let width = 0; width <= 24; width++) {
      for (const count of [1, 7, 8, 9, 100, 5000]) {
        const input = values(count, width, width * 31 + count);
        const writer = new ByteWriter();
        writeRleBitPackedHybrid(writer, input, width);
        const bytes = new Uint8Array(writer.getBuffer());
        const out = new Int32Array(count);
        const end = readHybrid(bytes, 0, bytes.length, width, out, count);
        assert.deepEqual(Array.from(out), input, `width ${width}, ${count} values`);
        assert.equal(end, bytes.length);
      }
    }
  });

  it('decodes bit-packed values of 25 to 32 bits, and reads only the values asked for from a padded group', () => {
    for (let width = 25; width <= 32; width++) {
      const input = values(21, width, width);
      const out = new Int32Array(21);
      readHybrid(bitPacked(input, width), 0, Infinity, width, out, 21);
      assert.deepEqual(Array.from(out, (v) => v >>> 0), input, `width ${width}`);
    }
  });

  it('starts at an offset and stops at the end it is given', () => {
    const writer = new ByteWriter();
    writer.appendUint8(0xee);
    writeRleBitPackedHybrid(writer, [3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2], 2);
    const bytes = new Uint8Array(writer.getBuffer());
    const out = new Int32Array(11);
    assert.equal(readHybrid(bytes, 1, bytes.length, 2, out, 11), bytes.length);
    assert.deepEqual(Array.from(out), [3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2]);
  });

  it('cut-off data is a HybridError, never values read past the end', () => {
    const writer = new ByteWriter();
    writeRleBitPackedHybrid(writer, values(100, 9, 1), 9);
    const bytes = new Uint8Array(writer.getBuffer());
    for (const cut of [0, 1, 3, bytes.length - 1]) {
      assert.throws(() => readHybrid(bytes.subarray(0, cut), 0, cut, 9, new Int32Array(100), 100), HybridError, `cut at ${cut}`);
    }
    assert.throws(() => readHybrid(bytes, 0, bytes.length, 33, new Int32Array(1), 1), /bit width 33/);
  });
});
