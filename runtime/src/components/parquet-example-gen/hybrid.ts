/**
 * Parquet's RLE / bit-packed hybrid encoding (definition levels, dictionary indices), decoded
 * straight into an Int32Array. hyparquet's decoder writes into a JS array through a DataView, one
 * byte per step of a generic loop: for a flat optional column that was the largest single cost of
 * ParquetExampleGen (18 M levels and 16 M indices on the 1M-row benchmark file). Here a run is a
 * `fill`, and a bit-packed group is read through a 32-bit window per value (widths ≤ 24), or a
 * byte at a time for a width of 1.
 */

export class HybridError extends Error {}

/**
 * `count` values of `width` bits from bytes[pos, end) into out[0, count); returns the position
 * after the last run read. Runs may hold more values than needed (the last bit-packed group is
 * padded to 8 values): the surplus is ignored, as the format says.
 */
export function readHybrid(bytes: Uint8Array, pos: number, end: number, width: number, out: Int32Array, count: number): number {
  if (width < 0 || width > 32) throw new HybridError(`bit width ${width} is out of range`);
  const byteWidth = (width + 7) >> 3;
  let seen = 0;
  while (seen < count) {
    if (pos >= end) throw new HybridError(`encoded values end after ${seen} of ${count}`);
    // ULEB128 header (arithmetic, not bit operations: a run count may pass 2^31).
    let header = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end) throw new HybridError('a run header is cut off');
      const b = bytes[pos++];
      header += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    const runLength = Math.floor(header / 2);
    if (header % 2 === 0) {
      // A run: one value of byteWidth little-endian bytes, repeated.
      if (pos + byteWidth > end) throw new HybridError('a run value is cut off');
      let value = 0;
      for (let i = 0; i < byteWidth; i++) value += bytes[pos + i] * 2 ** (8 * i);
      pos += byteWidth;
      const stop = Math.min(count, seen + runLength);
      out.fill(value | 0, seen, stop);
      seen = stop;
    } else {
      // Bit-packed: runLength groups of 8 values, LSB first.
      const stop = Math.min(count, seen + runLength * 8);
      const needed = Math.ceil(((stop - seen) * width) / 8);
      if (pos + needed > bytes.length) throw new HybridError('bit-packed values are cut off');
      unpack(bytes, pos, width, out, seen, stop - seen);
      pos += runLength * width;
      seen = stop;
    }
  }
  return Math.min(pos, end);
}

/** n values of `width` bits starting at bit 0 of bytes[pos] into out[at, at + n). */
function unpack(bytes: Uint8Array, pos: number, width: number, out: Int32Array, at: number, n: number): void {
  if (width === 0) {
    out.fill(0, at, at + n);
    return;
  }
  if (width === 1) {
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const b = bytes[pos + (i >> 3)];
      out[at + i] = b & 1;
      out[at + i + 1] = (b >> 1) & 1;
      out[at + i + 2] = (b >> 2) & 1;
      out[at + i + 3] = (b >> 3) & 1;
      out[at + i + 4] = (b >> 4) & 1;
      out[at + i + 5] = (b >> 5) & 1;
      out[at + i + 6] = (b >> 6) & 1;
      out[at + i + 7] = (b >> 7) & 1;
    }
    for (; i < n; i++) out[at + i] = (bytes[pos + (i >> 3)] >> (i & 7)) & 1;
    return;
  }
  let i = 0;
  if (width <= 24) {
    // A 32-bit window holds any value of ≤ 24 bits at any bit offset; stop while 4 bytes remain readable.
    const mask = (1 << width) - 1;
    const last = bytes.length - 4;
    let bit = 0;
    for (; i < n; i++, bit += width) {
      const p = pos + (bit >>> 3);
      if (p > last) break;
      const word = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
      out[at + i] = (word >>> (bit & 7)) & mask;
    }
  }
  for (; i < n; i++) out[at + i] = readBits(bytes, pos, i * width, width);
}

/** One value of `width` bits at bit offset `bit` from bytes[pos] (the slow, general case). */
function readBits(bytes: Uint8Array, pos: number, bit: number, width: number): number {
  let value = 0;
  let got = 0;
  let p = pos + Math.floor(bit / 8);
  let shift = bit % 8;
  while (got < width) {
    const take = Math.min(8 - shift, width - got);
    value += ((bytes[p] >> shift) & ((1 << take) - 1)) * 2 ** got;
    got += take;
    p++;
    shift = 0;
  }
  return value | 0;
}
