/**
 * 64-bit hashes (as two 32-bit words) of numbers and strings, shared by the sketches so that the
 * same value hashes the same in every worker. Not cryptographic; chosen for speed and avalanche.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** murmur3's finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash words of the last call to a `hash*` function (avoids allocating a pair per value). */
export const hashOut = { hi: 0, lo: 0 };

/** Hash of a number's IEEE bits; -0 is normalised to 0 so both count as one value. */
export function hashNumber(v: number): void {
  f64[0] = v + 0;
  const a = u32[0];
  const b = u32[1];
  const hi = fmix32(a ^ Math.imul(b, 0x9e3779b1));
  hashOut.hi = hi;
  hashOut.lo = fmix32(b ^ Math.imul(hi ^ a, 0xcc9e2d51) ^ 0x27d4eb2f);
}

/** Hash of a string's UTF-16 code units (murmur3-style mixing, two independent lanes). */
export function hashString(s: string): void {
  let h1 = 0x811c9dc5 ^ s.length;
  let h2 = 0x1b873593;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul((h2 << 5) | (h2 >>> 27), 5) + Math.imul(c, 0xe6546b64);
  }
  const hi = fmix32(h1 ^ Math.imul(h2, 0x9e3779b1));
  hashOut.hi = hi;
  hashOut.lo = fmix32(h2 ^ Math.imul(hi, 0xcc9e2d51));
}

