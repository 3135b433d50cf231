/**
 * TFRecord framing, as TensorFlow writes it (tensorflow/core/lib/io/record_writer.cc): each record
 * is a little-endian uint64 length, the masked CRC32C of those 8 bytes, the data, and the masked
 * CRC32C of the data. Both checksums are verified on every record.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32c } from '@aws-crypto/crc32c';

const MASK_DELTA = 0xa282ead8;

/** TensorFlow's masked CRC: rotate right by 15 bits and add a constant (so a CRC of CRCs is not trivial). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

export type RecordProblem = 'truncated-header' | 'length-crc' | 'truncated-data' | 'data-crc';

export interface TfRecord {
  /** Byte offset of the record's header. */
  offset: number;
  data: Uint8Array;
}

export class TfRecordError extends Error {
  constructor(
    readonly problem: RecordProblem,
    readonly offset: number,
    message: string,
    /** Where the next record starts, when the length could be trusted (a bad data CRC). */
    readonly next?: number,
  ) {
    super(message);
  }
}

/**
 * The record at `offset` of `buf`, or a TfRecordError naming what is wrong. A bad length CRC or a
 * truncation leaves nothing to resync on; a bad data CRC still gives where the next record starts.
 */
export function readRecord(buf: Uint8Array, offset: number): TfRecord {
  if (offset + 12 > buf.length) throw new TfRecordError('truncated-header', offset, `truncated record header (${buf.length - offset} of 12 bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset + offset, 12);
  const lengthBytes = buf.subarray(offset, offset + 8);
  if (view.getUint32(8, true) !== maskedCrc32c(lengthBytes)) {
    throw new TfRecordError('length-crc', offset, 'the length field fails its CRC32C check (not a TFRecord file, or corrupt)');
  }
  const length = Number(view.getBigUint64(0, true));
  const start = offset + 12;
  const end = start + length;
  if (end + 4 > buf.length) throw new TfRecordError('truncated-data', offset, `truncated record: ${length} data bytes + 4 CRC bytes declared, ${buf.length - start} left`);
  const data = buf.subarray(start, end);
  const stored = new DataView(buf.buffer, buf.byteOffset + end, 4).getUint32(0, true);
  if (stored !== maskedCrc32c(data)) throw new TfRecordError('data-crc', offset, 'the record data fails its CRC32C check', end + 4);
  return { offset, data };
}

/**
 * Record boundaries of an uncompressed TFRecord file, cut into byte ranges of about `rangeBytes`
 * that each start at a record header, found by reading only the headers (length and its CRC),
 * a window at a time. The scan stops trusting the framing at the first header that is truncated
 * or fails its CRC: the rest of the file becomes the last range, whose reader then reports the
 * problem with its byte offset exactly as a read of the whole file would.
 */
export function recordRanges(file: string, rangeBytes: number): { start: number; end: number }[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const windowBytes = 1 << 20;
    const window = Buffer.alloc(windowBytes);
    let windowStart = 0;
    let windowEnd = 0;
    const header = (at: number): Buffer | undefined => {
      if (at + 12 > size) return undefined;
      if (at < windowStart || at + 12 > windowEnd) {
        windowStart = at;
        windowEnd = at + readSync(fd, window, 0, Math.min(windowBytes, size - at), at);
        if (windowEnd < at + 12) return undefined;
      }
      return window.subarray(at - windowStart, at - windowStart + 12);
    };
    const ranges: { start: number; end: number }[] = [];
    let start = 0;
    let at = 0;
    while (at < size) {
      const h = header(at);
      if (!h || h.readUInt32LE(8) !== maskedCrc32c(h.subarray(0, 8))) break;
      const next = at + 12 + Number(h.readBigUInt64LE(0)) + 4;
      if (next > size) break;
      at = next;
      if (at - start >= rangeBytes && at < size) {
        ranges.push({ start, end: at });
        start = at;
      }
    }
    ranges.push({ start, end: size });
    return ranges;
  } finally {
    closeSync(fd);
  }
}
