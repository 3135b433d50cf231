/**
 * Streaming statistics of one string column stored as Arrow Dictionary<Utf8, Int32>. The hot loop
 * only counts dictionary indices into an Int32Array; each used dictionary entry is then decoded
 * once per chunk and added with its count. Counts are exact up to `distinctExactLimit` distinct
 * values, then a heavy-hitters summary plus a HyperLogLog (seeded from the exact counts).
 */
import { ValueCounts, type ValueCountsPartial } from './value-counts.ts';
import { HyperLogLog, type HyperLogLogState } from '../../../sketches/hyperloglog.ts';
import { type FrequencyState, StringFrequencies } from '../../../sketches/frequencies.ts';
import type { SketchOptions } from './numeric.ts';

export interface StringPartial {
  kind: 'string';
  /** List features only: values per example. */
  valueCounts?: ValueCountsPartial;
  name: string;
  present: number;
  /** Σ UTF-8 byte length over present values. */
  totalBytes: number;
  freq: FrequencyState<string>;
  hll: HyperLogLogState | null;
}

/** The parts of an Arrow Utf8 dictionary the accumulator reads. */
export interface Utf8Dictionary {
  length: number;
  /** Byte offsets into `bytes`, length + 1 entries. */
  offsets: Int32Array;
  bytes: Uint8Array;
}

const decoder = new TextDecoder();

export class StringAccumulator {
  present = 0;
  /** Set for list features (Arrow List columns): `present` then counts values, this counts examples. */
  valueCounts: ValueCounts | undefined;
  totalBytes = 0;
  freq: StringFrequencies;
  hll: HyperLogLog | null = null;
  private indexCounts = new Int32Array(0);

  constructor(
    readonly name: string,
    private readonly options: SketchOptions,
  ) {
    this.freq = new StringFrequencies(options.distinctExactLimit);
  }

  addDictionaryChunk(indices: Int32Array, validity: Uint8Array | null, bitOffset: number, length: number, dict: Utf8Dictionary): void {
    if (this.indexCounts.length < dict.length) this.indexCounts = new Int32Array(dict.length);
    const counts = this.indexCounts;
    counts.fill(0, 0, dict.length);
    if (validity === null) countIndices(indices, length, counts);
    else countPresentIndices(indices, validity, bitOffset, length, counts);
    this.addCounted(counts, dict);
  }

  /** Adds each used dictionary entry with its count, decoded once. */
  private addCounted(counts: Int32Array, dict: Utf8Dictionary): void {
    const { offsets, bytes } = dict;
    for (let j = 0; j < dict.length; j++) {
      const c = counts[j];
      if (c === 0) continue;
      const start = offsets[j];
      const end = offsets[j + 1];
      this.present += c;
      this.totalBytes += c * (end - start);
      this.addValue(decodeUtf8(bytes, start, end), c);
    }
  }

  /** Adds a value `count` times (also used for values that are not in a dictionary). */
  addValue(s: string, count: number): void {
    if (this.hll === null && this.freq.add(s, count)) return;
    if (this.hll === null) this.startSketching();
    this.freq.add(s, count);
    this.hll!.addString(s);
  }

  private startSketching(): void {
    const hll = new HyperLogLog();
    this.freq.forEach((k) => hll.addString(k));
    this.hll = hll;
    const summary = new StringFrequencies(this.options.heavyHitterCapacity);
    summary.exact = false;
    this.freq = summary.merge(this.freq);
  }

  merge(other: StringAccumulator): this {
    this.present += other.present;
    if (other.valueCounts) this.valueCounts = (this.valueCounts ?? new ValueCounts()).merge(other.valueCounts);
    this.totalBytes += other.totalBytes;
    const staysExact = this.hll === null && other.hll === null && this.freq.size + this.freq.countNew(other.freq) <= this.freq.capacity;
    if (!staysExact) {
      if (this.hll === null) this.startSketching();
      if (other.hll) this.hll!.merge(other.hll);
      else other.freq.forEach((k) => this.hll!.addString(k));
    }
    this.freq.merge(other.freq);
    return this;
  }

  get exact(): boolean {
    return this.hll === null;
  }

  distinct(): number {
    return this.hll === null ? this.freq.size : Math.round(this.hll.estimate());
  }

  toPartial(): StringPartial {
    return {
      kind: 'string',
      ...(this.valueCounts ? { valueCounts: this.valueCounts.toPartial() } : {}),
      name: this.name,
      present: this.present,
      totalBytes: this.totalBytes,
      freq: this.freq.toState(),
      hll: this.hll?.toState() ?? null,
    };
  }

  static fromPartial(p: StringPartial, options: SketchOptions): StringAccumulator {
    const acc = new StringAccumulator(p.name, options);
    acc.present = p.present;
    if (p.valueCounts) acc.valueCounts = ValueCounts.fromPartial(p.valueCounts);
    acc.totalBytes = p.totalBytes;
    acc.freq = StringFrequencies.fromState(p.freq);
    acc.hll = p.hll ? HyperLogLog.fromState(p.hll) : null;
    return acc;
  }
}

/**
 * The hot counting loops, each alone in its function: V8 optimizes a long-running loop on the
 * stack (OSR) before the code after it has ever run, and that code then has no type feedback and
 * deoptimizes — once per call in one function that also walked the dictionary (~8 deopts and
 * recompiles per column per worker, measured with --trace-deopt).
 */
function countIndices(indices: Int32Array, length: number, counts: Int32Array): void {
  for (let i = 0; i < length; i++) counts[indices[i]]++;
}

function countPresentIndices(indices: Int32Array, validity: Uint8Array, bitOffset: number, length: number, counts: Int32Array): void {
  for (let i = 0; i < length; i++) {
    const bit = bitOffset + i;
    if ((validity[bit >> 3] & (1 << (bit & 7))) !== 0) counts[indices[i]]++;
  }
}

/** Short ASCII strings are built directly: much cheaper than a TextDecoder call each. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      if (b >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}
