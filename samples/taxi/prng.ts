// Small seeded PRNG helpers: the sample data must be byte-identical for a given seed on every
// machine, so nothing here may touch Math.random.

export type Rand = () => number;

/** mulberry32: 32-bit state, uniform in [0, 1); the runtime's own, so there is one PRNG. */
export { mulberry32 } from '../../runtime/src/util/prng.ts';

/** Standard normal via Box-Muller (one value per call keeps the stream simple). */
export function normal(rand: Rand): number {
  const u = 1 - rand(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Picks an index with probability proportional to weights, given their running sums. */
export function pick(rand: Rand, cumulative: Float64Array): number {
  const x = rand() * cumulative[cumulative.length - 1];
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function cumulate(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  return out;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
