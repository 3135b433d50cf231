/**
 * HyperLogLog distinct counter (Flajolet et al. 2007) with Ertl's improved estimator (2017),
 * which needs no empirical bias tables and is unbiased from tiny to huge cardinalities.
 *
 * Error bound: relative standard error ≈ 1.04 / √m with m = 2^precision registers; at the default
 * precision 14 that is 0.81% (so |error| ≤ 2.5% with ~99.7% probability). Memory: m bytes.
 * Merge = register-wise max, so merge(a, b) equals the sketch of a ∪ b exactly.
 */
import { hashNumber, hashOut, hashString } from './hash.ts';

export interface HyperLogLogState {
  precision: number;
  registers: Uint8Array;
}

export const DEFAULT_HLL_PRECISION = 14;

export class HyperLogLog {
  readonly precision: number;
  readonly registers: Uint8Array;
  /** Bits of hash left after the register index: q in Ertl's notation. */
  private readonly q: number;

  constructor(precision = DEFAULT_HLL_PRECISION, registers?: Uint8Array) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 18) {
      throw new RangeError(`HyperLogLog precision must be an integer in 4..18, got ${precision}`);
    }
    this.precision = precision;
    this.q = 64 - precision;
    this.registers = registers ?? new Uint8Array(1 << precision);
  }

  /** Register update from the 64-bit hash in `hashOut`. */
  private addHash(): void {
    const p = this.precision;
    const hi = hashOut.hi;
    const index = hi >>> (32 - p);
    // Rank = position of the first 1 bit in the remaining 64-p bits (1-based), capped at q+1.
    const rest = (hi << p) >>> 0;
    let rank: number;
    if (rest !== 0) rank = Math.clz32(rest) + 1;
    else rank = hashOut.lo !== 0 ? 32 - p + Math.clz32(hashOut.lo) + 1 : this.q + 1;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  addNumber(v: number): void {
    hashNumber(v);
    this.addHash();
  }

  addString(s: string): void {
    hashString(s);
    this.addHash();
  }

  /** Adds every value of a typed array (no null handling: pass only present values). */
  addNumbers(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.addNumber(values[i]);
  }

  merge(other: HyperLogLog): this {
    if (other.precision !== this.precision) throw new RangeError('Cannot merge HyperLogLogs of different precision');
    const a = this.registers;
    const b = other.registers;
    for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
    return this;
  }

  /** Estimated number of distinct values added. */
  estimate(): number {
    const m = this.registers.length;
    const q = this.q;
    const hist = new Float64Array(q + 2);
    for (let i = 0; i < m; i++) hist[this.registers[i]]++;
    let z = m * tau(1 - hist[q + 1] / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + hist[k]);
    z += m * sigma(hist[0] / m);
    return (m * m) / (2 * Math.LN2 * z);
  }

  toState(): HyperLogLogState {
    return { precision: this.precision, registers: this.registers.slice() };
  }

  static fromState(state: HyperLogLogState): HyperLogLog {
    return new HyperLogLog(state.precision, new Uint8Array(state.registers));
  }
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z === prev) return z / 3;
  }
}
