/**
 * Holds one byte range of a file in memory, plus whatever tail the last record needs: a row
 * belongs to the range it starts in and may run past the range end. Never more than the range
 * and its last record, so memory is bounded by shard size, not file size.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** A single record longer than this is treated as broken input (typically a runaway quote). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const TAIL_BYTES = 256 * 1024;
/** Largest buffer kept for the next range (a runaway record's buffer is let go). */
const SPARE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The last closed reader's buffer, reused by the next range in this thread: a fresh ~16 MB buffer
 * per range is malloc'd outside the V8 heap and only freed when a GC notices, so with a new one per
 * range peak RSS grew with the number of ranges (414 MB at 5M rows). Parsing is synchronous and
 * nothing keeps `buf` after close(), so one spare per thread is safe. Bytes past `length` are stale.
 */
let spare: Buffer | undefined;

export class RangeReader {
  buf: Buffer;
  /** Valid bytes in buf. */
  length = 0;
  private readonly fd: number;

  /** buf[0] is file byte `base`; reads [base, end + tail). */
  constructor(
    file: string,
    readonly base: number,
    private readonly end: number,
    readonly fileSize: number,
  ) {
    this.fd = openSync(file, 'r');
    const want = Math.min(fileSize, end + TAIL_BYTES) - base;
    const size = Math.max(want, 1);
    this.buf = spare && spare.length >= size ? spare : Buffer.allocUnsafe(size);
    spare = undefined;
    this.fill(want);
  }

  get atEof(): boolean {
    return this.base + this.length >= this.fileSize;
  }

  /** Reads more of the file; false when a record would exceed MAX_RECORD_BYTES past the range end. */
  more(): boolean {
    if (this.atEof) return false;
    if (this.base + this.length - this.end > MAX_RECORD_BYTES) return false;
    const extra = Math.min(Math.max(TAIL_BYTES, this.length >> 1), this.fileSize - this.base - this.length);
    const next = Buffer.allocUnsafe(this.length + extra);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
    this.fill(extra);
    return true;
  }

  private fill(bytes: number): void {
    let done = 0;
    while (done < bytes) {
      const n = readSync(this.fd, this.buf, this.length, bytes - done, this.base + this.length);
      if (n === 0) throw new Error(`Unexpected end of file while reading at byte ${this.base + this.length}`);
      this.length += n;
      done += n;
    }
  }

  close(): void {
    closeSync(this.fd);
    if (this.buf.length <= SPARE_MAX_BYTES && (!spare || this.buf.length > spare.length)) spare = this.buf;
  }
}
