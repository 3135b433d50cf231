/**
 * Streaming statistics of one numeric column. Value counts are exact while the column has at most
 * `distinctExactLimit` distinct values — then quantiles, distinct count and top values are exact
 * and no sketch runs at all (the common case for ints and rounded floats). Past the limit the
 * counts turn into a heavy-hitters summary and a KLL sketch + HyperLogLog take over, seeded from
 * the exact counts so no value is lost.
 */
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
   * `bitOffset`, or null when nothing is null. Two passes over the chunk: the second computes the
   * squared deviations from the chunk's own mean, which is what keeps the variance stable.
   */
  addChunk(values: NumericValues, validity: Uint8Array | null, bitOffset: number, length: number): void {
    let present = 0;
    let nan = 0;
    let zeros = 0;
    let n = 0;
    let sum = 0;
    let min = this.min;
    let max = this.max;
    let freq = this.freq;
    let sketching = this.kll !== null;
    for (let i = 0; i < length; i++) {
      if (validity !== null) {
        const bit = bitOffset + i;
        if ((validity[bit >> 3] & (1 << (bit & 7))) === 0) continue;
      }
      present++;
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
      if (!sketching) {
        if (freq.add(v, 1)) continue;
        this.startSketching();
        freq = this.freq;
        sketching = true;
      }
      freq.add(v, 1);
      this.kll!.update(v);
      this.hll!.addNumber(v);
    }
    let m2 = 0;
    const mean = n > 0 ? sum / n : 0;
    if (n > 0) {
      for (let i = 0; i < length; i++) {
        if (validity !== null) {
          const bit = bitOffset + i;
          if ((validity[bit >> 3] & (1 << (bit & 7))) === 0) continue;
        }
        const d = values[i] - mean;
        if (d === d) m2 += d * d;
      }
    }
    this.present += present;
    this.nan += nan;
    this.zeros += zeros;
    this.min = min;
    this.max = max;
    mergeMoments(this.moments, { n, mean, m2 });
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
