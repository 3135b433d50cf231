/** UTF-8 validation that can say *where* the first bad byte is (isUtf8 only says whether). */
import { isUtf8 } from 'node:buffer';

/** Index of the first byte in buf[s, e) that is not valid UTF-8, or -1. */
export function firstInvalidUtf8(buf: Uint8Array, s: number, e: number): number {
  if (isUtf8(buf.subarray(s, e))) return -1;
  let i = s;
  while (i < e) {
    const c = buf[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    if (i + n >= e) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const b = buf[i + k];
      if ((b & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}
