/**
 * Deterministic split assignment: a row's split depends only on its own bytes (or its split_key
 * cells), never on sharding or worker count. MurmurHash3 (x86, 32-bit) over bytes: fast, no
 * allocation, good avalanche so near-identical rows spread evenly.
 */
import { fmix32 } from '../../sketches/hash.ts';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(buf: Uint8Array, s: number, e: number, seed: number): number {
  let h = seed | 0;
  let i = s;
  const blocksEnd = s + ((e - s) & ~3);
  for (; i < blocksEnd; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = e - i;
  if (rest > 0) {
    let k = buf[i];
    if (rest > 1) k ^= buf[i + 1] << 8;
    if (rest > 2) k ^= buf[i + 2] << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return fmix32(h ^ (e - s));
}

/**
 * murmur3 over bytes fed piecewise, with no key buffer: feeding a row's cells as bytes and
 * little-endian 32-bit words gives the hash murmur3 gives over their concatenation. A word joins
 * the pending bytes of an unfinished block by shifts, so a number cell (a tag byte and two words)
 * costs a few integer operations instead of nine byte stores and loads.
 */
export class Murmur3Stream {
  private h = 0;
  /** Bytes of the unfinished block (little-endian) and their count, 0..3. */
  private pending = 0;
  private count = 0;
  private length = 0;

  reset(seed: number): void {
    this.h = seed | 0;
    this.pending = 0;
    this.count = 0;
    this.length = 0;
  }

  private block(k: number): void {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    let h = this.h ^ k;
    h = (h << 13) | (h >>> 19);
    this.h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  byte(b: number): void {
    this.pending |= (b & 0xff) << (this.count << 3);
    this.length++;
    if (++this.count === 4) {
      this.block(this.pending);
      this.pending = 0;
      this.count = 0;
    }
  }

  /** Four bytes at once: w's little-endian bytes. */
  word(w: number): void {
    this.length += 4;
    const c = this.count;
    if (c === 0) {
      this.block(w);
      return;
    }
    this.block(this.pending | (w << (c << 3)));
    this.pending = w >>> (32 - (c << 3));
  }

  bytes(buf: Uint8Array, s: number, e: number): void {
    let i = s;
    while (i < e && this.count !== 0) this.byte(buf[i++]);
    for (; i + 4 <= e; i += 4) this.word(buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    while (i < e) this.byte(buf[i++]);
  }

  digest(): number {
    let h = this.h;
    if (this.count > 0) {
      let k = Math.imul(this.pending, C1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, C2);
      h ^= k;
    }
    return fmix32(h ^ this.length);
  }
}

export const SPLIT_SEED = 0x7472_6962; // "trib"

/**
 * Upper hash bounds per split (exclusive), from ratios: split i takes hashes in
 * [bounds[i-1], bounds[i]). The last bound is 2^32 so every hash lands somewhere.
 */
export function splitBounds(ratios: number[]): Float64Array {
  const total = ratios.reduce((a, b) => a + b, 0);
  const bounds = new Float64Array(ratios.length);
  let cum = 0;
  for (let i = 0; i < ratios.length; i++) {
    cum += ratios[i];
    bounds[i] = i === ratios.length - 1 ? 2 ** 32 : Math.floor((cum / total) * 2 ** 32);
  }
  return bounds;
}

export function splitOf(hash: number, bounds: Float64Array): number {
  let i = 0;
  while (hash >= bounds[i]) i++;
  return i;
}
