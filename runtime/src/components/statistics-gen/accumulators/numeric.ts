/**
 * Streaming statistics of one numeric column. Value counts are exact while the column has at most
 * `distinctExactLimit` distinct values — then quantiles, distinct count and top values are exact
 * and no sketch runs at all (the common case for ints and rounded floats). Past the limit the
 * counts turn into a heavy-hitters summary and a KLL sketch + HyperLogLog take over, seeded from
 * the exact counts so no value is lost.
 */
import { ValueCounts, type ValueCountsPartial } from './value-counts.ts';
import { HyperLogLog, type HyperLogLogState } from '../../../sketches/hyperloglog.ts';
import { KllSketch, type KllState } from '../../../sketches/kll.ts';
import { type FrequencyState, NumberFrequencies } from '../../../sketches/frequencies.ts';
import { sortedSample, type WeightedSample } from '../../../sketches/weighted-sample.ts';
import { emptyMoments, mergeMoments, type Moments } from './moments.ts';

export interface SketchOptions {
  distinctExactLimit: number;
  sketchK: number;
  /** Counters of the heavy-hitters summary once counts stop being exact (small: stays in cache). */
  heavyHitterCapacity: number;
}

/** Enough counters that the top values' counts are off by at most 2N/(m+1) ≈ 0.2% of N. */
export function heavyHitterCapacity(topK: number, distinctExactLimit: number): number {
  return Math.min(distinctExactLimit, Math.max(1024, 50 * topK));
}

export interface NumericPartial {
  kind: 'numeric';
  /** List features only: values per example. */
  valueCounts?: ValueCountsPartial;
  name: string;
  type: 'INT' | 'FLOAT';
  /** Non-null values, NaN included. */
  present: number;
  nan: number;
  zeros: number;
  /** Over non-NaN values; +∞/−∞ when there are none. */
  min: number;
  max: number;
  moments: Moments;
  freq: FrequencyState<number>;
  kll: KllState | null;
  hll: HyperLogLogState | null;
}

export type NumericValues = Float64Array | Int32Array;

export class NumericAccumulator {
  present = 0;
  /** Set for list features (Arrow List columns): `present` then counts values, this counts examples. */
  valueCounts: ValueCounts | undefined;
  nan = 0;
  zeros = 0;
  min = Infinity;
  max = -Infinity;
  readonly moments: Moments = emptyMoments();
  freq: NumberFrequencies;
  kll: KllSketch | null = null;
  hll: HyperLogLog | null = null;

  constructor(
    readonly name: string,
    readonly type: 'INT' | 'FLOAT',
    private readonly options: SketchOptions,
  ) {
    this.freq = new NumberFrequencies(options.distinctExactLimit);
  }

  /**
   * Adds `length` values; `validity` is Arrow's null bitmap (bit set = present) starting at bit
   * `bitOffset`, or null when nothing is null. The present values are first copied into one dense
   * Float64Array, so every later pass is a short loop over one array type with no null test: each
   * pass is optimized once per worker, where a single loop over Int32/Float64 chunks with and
   * without nulls, in exact and in sketching mode, was re-optimized ~9 times as new cases showed up
   * (~130 ms of compile per worker thread, competing with the other workers for the cores).
   * The squared deviations are taken from the chunk's own mean, which keeps the variance stable.
   */
  addChunk(values: NumericValues, validity: Uint8Array | null, bitOffset: number, length: number): void {
    dense = denseCapacity(dense, length);
    const present = values instanceof Float64Array ? copyFloat64(values, validity, bitOffset, length, dense) : copyInt32(values, validity, bitOffset, length, dense);
    this.present += present;
    const m = chunkMoments(dense, present, this);
    if (m.n === 0) return;
    let from = 0;
    if (this.kll === null) {
      from = addExact(this.freq, dense, present);
      if (from === present) {
        mergeMoments(this.moments, m);
        return;
      }
      this.startSketching();
    }
    addSketched(this.freq, this.kll!, this.hll!, dense, from, present);
    mergeMoments(this.moments, m);
  }

  /** Leaves exact mode: the sketches start from the exact counts gathered so far. */
  private startSketching(): void {
    const kll = kllFromCounts(this.freq, this.options.sketchK);
    const hll = new HyperLogLog();
    this.freq.forEach((k) => hll.addNumber(k));
    this.kll = kll;
    this.hll = hll;
    const summary = new NumberFrequencies(this.options.heavyHitterCapacity);
    summary.exact = false;
    this.freq = summary.merge(this.freq);
  }

  merge(other: NumericAccumulator): this {
    this.present += other.present;
    if (other.valueCounts) this.valueCounts = (this.valueCounts ?? new ValueCounts()).merge(other.valueCounts);
    this.nan += other.nan;
    this.zeros += other.zeros;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    mergeMoments(this.moments, other.moments);
    const staysExact =
      this.kll === null && other.kll === null && this.freq.size + this.freq.countNew(other.freq) <= this.freq.capacity;
    if (!staysExact) {
      if (this.kll === null) this.startSketching();
      const otherKll = other.kll ?? kllFromCounts(other.freq, this.options.sketchK);
      this.kll!.merge(otherKll);
      if (other.hll) this.hll!.merge(other.hll);
      else other.freq.forEach((k) => this.hll!.addNumber(k));
    }
    this.freq.merge(other.freq);
    return this;
  }

  get exact(): boolean {
    return this.kll === null;
  }

  /** Distinct non-NaN values: exact, or the HyperLogLog estimate. */
  distinct(): number {
    return this.kll === null ? this.freq.size : Math.round(this.hll!.estimate());
  }

  /** Everything quantiles and histograms are computed from. */
  sample(): WeightedSample {
    if (this.kll) return this.kll.sample();
    const s = this.freq.toState();
    return sortedSample(s.keys, s.counts);
  }

  toPartial(): NumericPartial {
    return {
      kind: 'numeric',
      ...(this.valueCounts ? { valueCounts: this.valueCounts.toPartial() } : {}),
      name: this.name,
      type: this.type,
      present: this.present,
      nan: this.nan,
      zeros: this.zeros,
      min: this.min,
      max: this.max,
      moments: { ...this.moments },
      freq: this.freq.toState(),
      kll: this.kll?.toState() ?? null,
      hll: this.hll?.toState() ?? null,
    };
  }

  static fromPartial(p: NumericPartial, options: SketchOptions): NumericAccumulator {
    const acc = new NumericAccumulator(p.name, p.type, options);
    acc.present = p.present;
    if (p.valueCounts) acc.valueCounts = ValueCounts.fromPartial(p.valueCounts);
    acc.nan = p.nan;
    acc.zeros = p.zeros;
    acc.min = p.min;
    acc.max = p.max;
    Object.assign(acc.moments, p.moments);
    acc.freq = NumberFrequencies.fromState(p.freq);
    acc.kll = p.kll ? KllSketch.fromState(p.kll) : null;
    acc.hll = p.hll ? HyperLogLog.fromState(p.hll) : null;
    return acc;
  }
}

function kllFromCounts(freq: NumberFrequencies, k: number): KllSketch {
  const state = freq.toState();
  const kll = new KllSketch(k);
  kll.updateWeighted(state.keys, state.counts);
  return kll;
}

/** Dense copy of a chunk's present values, reused across chunks in this thread (grown, never shrunk). */
let dense: Float64Array = new Float64Array(1024);

function denseCapacity(a: Float64Array, length: number): Float64Array {
  if (a.length >= length) return a;
  let n = a.length;
  while (n < length) n *= 2;
  return new Float64Array(n);
}

/**
 * Copies present values into `out`; returns how many. One copy per column type on purpose: a
 * single function over `Float64Array | Int32Array` would be polymorphic in this hot loop.
 */
function copyFloat64(values: Float64Array, validity: Uint8Array | null, bitOffset: number, length: number, out: Float64Array): number {
  if (validity === null) {
    out.set(values.subarray(0, length));
    return length;
  }
  let n = 0;
  for (let i = 0; i < length; i++) {
    const bit = bitOffset + i;
    if ((validity[bit >> 3] & (1 << (bit & 7))) !== 0) out[n++] = values[i];
  }
  return n;
}

function copyInt32(values: Int32Array, validity: Uint8Array | null, bitOffset: number, length: number, out: Float64Array): number {
  if (validity === null) {
    out.set(values.subarray(0, length));
    return length;
  }
  let n = 0;
  for (let i = 0; i < length; i++) {
    const bit = bitOffset + i;
    if ((validity[bit >> 3] & (1 << (bit & 7))) !== 0) out[n++] = values[i];
  }
  return n;
}

/**
 * Count, mean and squared deviations of the non-NaN values among values[0, count), and their NaN
 * and zero counts, min and max folded into `acc`.
 */
function chunkMoments(values: Float64Array, count: number, acc: { nan: number; zeros: number; min: number; max: number }): Moments {
  let nan = 0;
  let zeros = 0;
  let n = 0;
  let sum = 0;
  let min = acc.min;
  let max = acc.max;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v !== v) {
      nan++;
      continue;
    }
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
  }
  const mean = n > 0 ? sum / n : 0;
  let m2 = 0;
  for (let i = 0; i < count; i++) {
    const d = values[i] - mean;
    if (d === d) m2 += d * d;
  }
  acc.nan += nan;
  acc.zeros += zeros;
  acc.min = min;
  acc.max = max;
  return { n, mean, m2 };
}

/** Exact counts of values[0, count) (NaN skipped); returns the index of the first value that did not fit, or count. */
function addExact(freq: NumberFrequencies, values: Float64Array, count: number): number {
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (!freq.add(v, 1)) return i;
  }
  return count;
}

/** Sketching mode: values[from, count) (NaN skipped) go to the heavy hitters, the KLL sketch and the HyperLogLog. */
function addSketched(freq: NumberFrequencies, kll: KllSketch, hll: HyperLogLog, values: Float64Array, from: number, count: number): void {
  for (let i = from; i < count; i++) {
    const v = values[i];
    if (v !== v) continue;
    freq.add(v, 1);
    kll.update(v);
    hll.addNumber(v);
  }
}
