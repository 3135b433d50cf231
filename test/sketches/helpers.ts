/** Seeded random streams and exact reference answers for sketch tests. */
import { mulberry32 } from '../../runtime/src/util/prng.ts';

export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
}

/** Distributions the quantile tests run on: smooth, bell, heavy-skewed, adversarially ordered. */
export function streams(n: number): Record<string, Float64Array> {
  const r = mulberry32(42);
  return {
    uniform: Float64Array.from({ length: n }, () => r()),
    normal: Float64Array.from({ length: n }, () => normal(r)),
    lognormal: Float64Array.from({ length: n }, () => Math.exp(2 * normal(r))),
    sortedAscending: Float64Array.from({ length: n }, (_, i) => i),
    fewDistinct: Float64Array.from({ length: n }, () => Math.floor(r() * 50)),
  };
}

/** Normalized rank error of a returned value v for quantile q: distance from the interval of ranks v occupies. */
export function rankError(sorted: Float64Array, v: number, q: number): number {
  const n = sorted.length;
  const lo = lowerBound(sorted, v) / n; // fraction < v
  const hi = upperBound(sorted, v) / n; // fraction ≤ v
  return q < lo ? lo - q : q > hi ? q - hi : 0;
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function upperBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] <= v) lo = m + 1;
    else hi = m;
  }
  return lo;
}
