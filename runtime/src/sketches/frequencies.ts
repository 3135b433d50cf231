/**
 * Value counts that are exact while the number of distinct values stays within a capacity m, and
 * become a Misra–Gries heavy-hitters summary beyond it (Misra & Gries 1982; mergeable per Agarwal
 * et al. 2012).
 *
 * When a new value arrives and all m counters are taken, the median count d of the m + 1
 * candidates is subtracted from all of them and counters that drop to ≤ 0 are removed. Each such
 * step removes at least d·(m+1)/2 of the total weight N, so the sum of all d — the most any count
 * is underestimated by — is bounded.
 *
 * Error bound (after any sequence of adds and merges, total weight N):
 *   true(x) − 2N/(m+1) ≤ estimate(x) ≤ true(x), and `maxError` holds the actual sum of d (≤ 2N/(m+1)).
 * Hence every value with frequency > 2N/(m+1) is kept (recall 1 for such heavy hitters).
 * While `exact` is true no subtraction ever happened and the counts are the true counts.
 */
import { fmix32 } from './hash.ts';

export interface FrequencyState<K extends number | string> {
  capacity: number;
  exact: boolean;
  total: number;
  maxError: number;
  keys: K extends number ? Float64Array : string[];
  counts: Float64Array;
}

export interface TopEntries<K> {
  keys: K[];
  counts: number[];
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * Number-keyed counts in an open-addressing table (typed arrays, no per-value allocation).
 * NaN must not be added; -0 counts as 0.
 */
export class NumberFrequencies {
  readonly capacity: number;
  exact = true;
  total = 0;
  maxError = 0;
  size = 0;
  private keys: Float64Array;
  /** 0 marks an empty slot (live counts are always > 0). */
  private counts: Float64Array;
  private mask: number;
  private scratch: Float64Array | undefined;
  private spareKeys: Float64Array | undefined;
  private spareCounts: Float64Array | undefined;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    // Start small and grow: most columns have few distinct values, and a small table stays in cache.
    this.keys = new Float64Array(16);
    this.counts = new Float64Array(16);
    this.mask = 15;
  }

  /** Doubles the table (load factor stays ≤ 1/2). */
  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    const slots = oldKeys.length * 2;
    this.keys = new Float64Array(slots);
    this.counts = new Float64Array(slots);
    this.mask = slots - 1;
    this.reinsert(oldKeys, oldCounts, 0);
  }

  /** Puts back every entry of old arrays whose count exceeds `minus`, lowered by it. */
  private reinsert(oldKeys: Float64Array, oldCounts: Float64Array, minus: number): void {
    const { keys, counts, mask } = this;
    let size = 0;
    for (let j = 0; j < oldCounts.length; j++) {
      const c = oldCounts[j] - minus;
      if (!(c > 0)) continue;
      const v = oldKeys[j];
      let i = this.slotOf(v);
      while (counts[i] !== 0) i = (i + 1) & mask;
      keys[i] = v;
      counts[i] = c;
      size++;
    }
    this.size = size;
  }

  private slotOf(v: number): number {
    f64[0] = v;
    return fmix32(u32[0] ^ Math.imul(u32[1], 0x9e3779b1)) & this.mask;
  }

  /**
   * Adds weight w to value v. Returns false, changing nothing, when the table is exact and v would
   * be value number capacity + 1: the caller decides what to do before exactness is lost.
   */
  add(v: number, w: number): boolean {
    v += 0;
    const keys = this.keys;
    const counts = this.counts;
    const mask = this.mask;
    let i = this.slotOf(v);
    while (counts[i] !== 0) {
      if (keys[i] === v) {
        counts[i] += w;
        this.total += w;
        return true;
      }
      i = (i + 1) & mask;
    }
    if (this.size < this.capacity) {
      if ((this.size + 1) * 2 > counts.length) {
        this.grow();
        return this.add(v, w);
      }
      keys[i] = v;
      counts[i] = w;
      this.size++;
      this.total += w;
      return true;
    }
    if (this.exact) return false;
    this.total += w;
    this.reduceWith(v, w);
    return true;
  }

  /** Number of keys of `other` not present here (to decide whether a merge stays exact). */
  countNew(other: NumberFrequencies): number {
    let fresh = 0;
    other.forEach((k) => {
      if (this.get(k) === 0) fresh++;
    });
    return fresh;
  }

  get(v: number): number {
    v += 0;
    let i = this.slotOf(v);
    while (this.counts[i] !== 0) {
      if (this.keys[i] === v) return this.counts[i];
      i = (i + 1) & this.mask;
    }
    return 0;
  }

  forEach(fn: (key: number, count: number) => void): void {
    const { keys, counts } = this;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) fn(keys[i], counts[i]);
  }

  /** Merges another summary; the result is exact only if both are and the union fits. */
  merge(other: NumberFrequencies): this {
    if (!(this.exact && other.exact && this.size + this.countNew(other) <= this.capacity)) this.exact = false;
    const before = this.total;
    other.forEach((k, c) => {
      this.add(k, c);
    });
    this.total = before + other.total;
    this.maxError += other.maxError;
    return this;
  }

  private reduceWith(v: number, w: number): void {
    const n = this.size + 1;
    const scratch = (this.scratch ??= new Float64Array(this.capacity + 1));
    let j = 0;
    const { keys, counts } = this;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) scratch[j++] = counts[i];
    scratch[j] = w;
    const d = kthSmallest(scratch, n, Math.ceil(n / 2) - 1);
    this.maxError += d;
    // Rebuild into the spare arrays and swap, so a reduction allocates nothing.
    const oldKeys = keys;
    const oldCounts = counts;
    this.keys = this.spareKeys && this.spareKeys.length === keys.length ? this.spareKeys : new Float64Array(keys.length);
    this.counts = this.spareCounts && this.spareCounts.length === keys.length ? this.spareCounts.fill(0) : new Float64Array(keys.length);
    this.reinsert(oldKeys, oldCounts, d);
    this.spareKeys = oldKeys;
    this.spareCounts = oldCounts;
    if (w > d) {
      const total = this.total;
      this.add(v, w - d);
      this.total = total;
    }
  }

  top(k: number): TopEntries<number> {
    const keys: number[] = [];
    const counts: number[] = [];
    this.forEach((key, c) => {
      keys.push(key);
      counts.push(c);
    });
    return topOf(keys, counts, k, (a, b) => a - b);
  }

  toState(): FrequencyState<number> {
    const keys = new Float64Array(this.size);
    const counts = new Float64Array(this.size);
    let j = 0;
    this.forEach((k, c) => {
      keys[j] = k;
      counts[j++] = c;
    });
    return { capacity: this.capacity, exact: this.exact, total: this.total, maxError: this.maxError, keys, counts };
  }

  static fromState(state: FrequencyState<number>): NumberFrequencies {
    const f = new NumberFrequencies(state.capacity);
    for (let i = 0; i < state.keys.length; i++) f.add(state.keys[i], state.counts[i]);
    f.exact = state.exact;
    f.total = state.total;
    f.maxError = state.maxError;
    return f;
  }
}

/** String-keyed counts with the same contract as NumberFrequencies (updates arrive pre-counted). */
export class StringFrequencies {
  readonly capacity: number;
  exact = true;
  total = 0;
  maxError = 0;
  private map = new Map<string, number>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.map.size;
  }

  /** See NumberFrequencies.add. */
  add(s: string, w: number): boolean {
    const c = this.map.get(s);
    if (c !== undefined) this.map.set(s, c + w);
    else if (this.map.size < this.capacity) this.map.set(s, w);
    else if (this.exact) return false;
    else this.reduceWith(s, w);
    this.total += w;
    return true;
  }

  get(s: string): number {
    return this.map.get(s) ?? 0;
  }

  forEach(fn: (key: string, count: number) => void): void {
    for (const [k, c] of this.map) fn(k, c);
  }

  countNew(other: StringFrequencies): number {
    let fresh = 0;
    for (const k of other.map.keys()) if (!this.map.has(k)) fresh++;
    return fresh;
  }

  merge(other: StringFrequencies): this {
    if (!(this.exact && other.exact && this.size + this.countNew(other) <= this.capacity)) this.exact = false;
    const before = this.total;
    for (const [k, c] of other.map) this.add(k, c);
    this.total = before + other.total;
    this.maxError += other.maxError;
    return this;
  }

  private reduceWith(s: string, w: number): void {
    const n = this.map.size + 1;
    const scratch = new Float64Array(n);
    let j = 0;
    for (const c of this.map.values()) scratch[j++] = c;
    scratch[j] = w;
    const d = kthSmallest(scratch, n, Math.ceil(n / 2) - 1);
    this.maxError += d;
    const next = new Map<string, number>();
    for (const [k, c] of this.map) if (c > d) next.set(k, c - d);
    if (w > d) next.set(s, w - d);
    this.map = next;
  }

  top(k: number): TopEntries<string> {
    return topOf([...this.map.keys()], [...this.map.values()], k, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  toState(): FrequencyState<string> {
    return {
      capacity: this.capacity,
      exact: this.exact,
      total: this.total,
      maxError: this.maxError,
      keys: [...this.map.keys()],
      counts: Float64Array.from(this.map.values()),
    };
  }

  static fromState(state: FrequencyState<string>): StringFrequencies {
    const f = new StringFrequencies(state.capacity);
    for (let i = 0; i < state.keys.length; i++) f.map.set(state.keys[i], state.counts[i]);
    f.exact = state.exact;
    f.total = state.total;
    f.maxError = state.maxError;
    return f;
  }
}

/** The k most frequent entries: count descending, then key ascending (deterministic ties). */
function topOf<K>(keys: K[], counts: number[], k: number, compareKeys: (a: K, b: K) => number): TopEntries<K> {
  const order = keys.map((_, i) => i);
  order.sort((a, b) => counts[b] - counts[a] || compareKeys(keys[a], keys[b]));
  const chosen = order.slice(0, k);
  return { keys: chosen.map((i) => keys[i]), counts: chosen.map((i) => counts[i]) };
}

/** Quickselect: the value of rank r (0-based, ascending) among a[0..n); reorders a. */
export function kthSmallest(a: Float64Array, n: number, r: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r];
  }
  return a[r];
}
