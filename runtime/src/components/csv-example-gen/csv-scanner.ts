/**
 * A byte-level RFC 4180 record scanner.
 *
 * Hand-written rather than a CSV library because this is the hot loop of ExampleGen: it works on
 * raw bytes of a range buffer and only records field boundaries (no string per field), so numbers
 * are parsed from bytes and only string columns are ever decoded. Quoted fields jump from quote
 * to quote with Buffer.indexOf (native memchr); unquoted fields are a tight byte loop.
 *
 * One call scans one record starting at `pos`; the caller owns line counting and buffering.
 */
export const LF = 10;
export const CR = 13;
export const QUOTE = 34;

export const SCAN_OK = 0;
/** The record runs past the end of the buffer and the file has more bytes: read more, rescan. */
export const SCAN_NEED_MORE = 1;
export const ERR_UNTERMINATED_QUOTE = 2;
export const ERR_STRAY_QUOTE = 3;
export const ERR_GARBAGE_AFTER_QUOTE = 4;

export const SCAN_ERROR_MESSAGES: Record<number, string> = {
  [ERR_UNTERMINATED_QUOTE]: 'unterminated quoted field (no closing quote before the end of the file)',
  [ERR_STRAY_QUOTE]: 'stray quote inside an unquoted field (quote the whole field and double inner quotes)',
  [ERR_GARBAGE_AFTER_QUOTE]: 'unexpected characters after a closing quote (expected a delimiter or end of line)',
};

/** Field flags: content is buf[start, end) in all cases. */
export const FIELD_PLAIN = 0;
export const FIELD_QUOTED = 1;
/** Quoted and contains doubled quotes: unescape before use, never a number. */
export const FIELD_ESCAPED = 2;

export class RecordScan {
  count = 0;
  starts: Int32Array;
  ends: Int32Array;
  flags: Uint8Array;
  /** Position after the record's terminator. */
  next = 0;
  /** End of the record's content (before CR LF / LF). */
  contentEnd = 0;
  /** Byte where an error was detected. */
  errorPos = 0;
  /** LF bytes inside the record, terminator included (for line numbers). */
  newlines = 0;

  constructor(capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  private specialFor = -1;
  private specialTable = new Uint8Array(256);

  /** Bytes that end an unquoted field's fast loop: delimiter, LF, quote. */
  private special(delim: number): Uint8Array {
    if (this.specialFor !== delim) {
      this.specialTable.fill(0);
      this.specialTable[delim] = 1;
      this.specialTable[LF] = 1;
      this.specialTable[QUOTE] = 1;
      this.specialFor = delim;
    }
    return this.specialTable;
  }

  private push(s: number, e: number, flag: number): void {
    const n = this.count++;
    if (n < this.starts.length) {
      this.starts[n] = s;
      this.ends[n] = e;
      this.flags[n] = flag;
    }
  }

  /**
   * Scans the record at `pos` in buf[0, limit). `atEof`: limit is the end of the file. Returns
   * SCAN_OK, SCAN_NEED_MORE or an ERR_* code (with errorPos set).
   */
  scan(buf: Buffer, pos: number, limit: number, atEof: boolean, delim: number): number {
    this.count = 0;
    let nl = 0;
    let p = pos;
    for (;;) {
      if (p < limit && buf[p] === QUOTE) {
        const open = p;
        let q = p + 1;
        let flag = FIELD_QUOTED;
        for (;;) {
          const k = buf.indexOf(QUOTE, q);
          if (k < 0 || k >= limit) {
            if (!atEof) return SCAN_NEED_MORE;
            this.errorPos = open;
            return ERR_UNTERMINATED_QUOTE;
          }
          if (k + 1 >= limit && !atEof) return SCAN_NEED_MORE;
          for (let i = q; i < k; i++) if (buf[i] === LF) nl++;
          if (k + 1 < limit && buf[k + 1] === QUOTE) {
            flag = FIELD_ESCAPED;
            q = k + 2;
            continue;
          }
          this.push(open + 1, k, flag);
          p = k + 1;
          break;
        }
        this.newlines = nl;
        if (p >= limit) return this.end(p, p);
        const c = buf[p];
        if (c === delim) {
          p++;
          continue;
        }
        if (c === LF) {
          this.newlines = nl + 1;
          return this.end(p, p + 1);
        }
        if (c === CR) {
          if (p + 1 >= limit) {
            if (!atEof) return SCAN_NEED_MORE;
            return this.end(p, p + 1);
          }
          if (buf[p + 1] === LF) {
            this.newlines = nl + 1;
            return this.end(p, p + 2);
          }
        }
        this.errorPos = p;
        return ERR_GARBAGE_AFTER_QUOTE;
      }
      // One table load per byte instead of three compares: this loop sees most of the input.
      const special = this.special(delim);
      let q = p;
      while (q < limit && special[buf[q]] === 0) q++;
      if (q < limit && buf[q] === QUOTE) {
        this.errorPos = q;
        return ERR_STRAY_QUOTE;
      }
      if (q >= limit) {
        if (!atEof) return SCAN_NEED_MORE;
        const e = q > p && buf[q - 1] === CR ? q - 1 : q;
        this.push(p, e, FIELD_PLAIN);
        this.newlines = nl;
        return this.end(e, q);
      }
      if (buf[q] === delim) {
        this.push(p, q, FIELD_PLAIN);
        p = q + 1;
        continue;
      }
      const e = q > p && buf[q - 1] === CR ? q - 1 : q;
      this.push(p, e, FIELD_PLAIN);
      this.newlines = nl + 1;
      return this.end(e, q + 1);
    }
  }

  private end(contentEnd: number, next: number): number {
    this.contentEnd = contentEnd;
    this.next = next;
    return SCAN_OK;
  }
}

/** Number of LF bytes in buf[s, e). */
export function countLines(buf: Uint8Array, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) if (buf[i] === LF) n++;
  return n;
}

/** Copies a FIELD_ESCAPED field's content with "" collapsed to ", returns its length. */
export function unescapeInto(buf: Uint8Array, s: number, e: number, out: Uint8Array): number {
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i];
    out[n++] = c;
    if (c === QUOTE) i++;
  }
  return n;
}
