/**
 * How many values each example has, for list features (Arrow List columns): TFDV's
 * num_non_missing (examples where the list is present, also when empty), min/max/avg/tot num
 * values and the value-count histogram. Counts per length are exact: lengths are few.
 */
export interface ValueCountsPartial {
  /** Examples whose list is not null. */
  present: number;
  total: number;
  min: number;
  max: number;
  /** length → examples, as parallel arrays (structured-cloneable). */
  lengths: number[];
  examples: number[];
}

export class ValueCounts {
  present = 0;
  total = 0;
  min = Infinity;
  max = -Infinity;
  readonly byLength = new Map<number, number>();

  /** Adds `length` list slots from Arrow offsets (`validity`: null bitmap from `bitOffset`, or null). */
  addOffsets(offsets: Int32Array, validity: Uint8Array | null, bitOffset: number, length: number): void {
    for (let i = 0; i < length; i++) {
      const bit = bitOffset + i;
      if (validity && (validity[bit >> 3] & (1 << (bit & 7))) === 0) continue;
      this.add(offsets[i + 1] - offsets[i]);
    }
  }

  add(n: number): void {
    this.present++;
    this.total += n;
    if (n < this.min) this.min = n;
    if (n > this.max) this.max = n;
    this.byLength.set(n, (this.byLength.get(n) ?? 0) + 1);
  }

  merge(other: ValueCounts): this {
    this.present += other.present;
    this.total += other.total;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    for (const [n, c] of other.byLength) this.byLength.set(n, (this.byLength.get(n) ?? 0) + c);
    return this;
  }

  toPartial(): ValueCountsPartial {
    const entries = [...this.byLength].sort((a, b) => a[0] - b[0]);
    return { present: this.present, total: this.total, min: this.min, max: this.max, lengths: entries.map((e) => e[0]), examples: entries.map((e) => e[1]) };
  }

  static fromPartial(p: ValueCountsPartial): ValueCounts {
    const v = new ValueCounts();
    v.present = p.present;
    v.total = p.total;
    v.min = p.min;
    v.max = p.max;
    p.lengths.forEach((n, i) => v.byLength.set(n, p.examples[i]));
    return v;
  }

  /** Lengths sorted with their example counts, as the weighted sample histograms are drawn from. */
  sample(): { values: Float64Array; weights: Float64Array; total: number } {
    const p = this.toPartial();
    return { values: Float64Array.from(p.lengths), weights: Float64Array.from(p.examples), total: this.present };
  }
}
