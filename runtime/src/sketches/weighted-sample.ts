/**
 * A sorted set of values with weights, the common query form of exact value counts and of
 * quantile sketches: quantiles, ranks and histograms are computed the same way from either.
 */
export interface WeightedSample {
  /** Ascending, distinct or not. */
  values: Float64Array;
  weights: Float64Array;
  /** Sum of weights. */
  total: number;
}

/** Builds a sample from unsorted parallel arrays (sorts a copy by value). */
export function sortedSample(values: ArrayLike<number>, weights: ArrayLike<number>): WeightedSample {
  const n = values.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b] || a - b);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    v[i] = values[order[i]];
    w[i] = weights[order[i]];
    total += w[i];
  }
  return { values: v, weights: w, total };
}

/**
 * The lower q-quantile: the smallest value whose cumulative weight reaches q × total
 * (q = 0 gives the minimum, q = 1 the maximum). NaN for an empty sample.
 */
export function quantile(sample: WeightedSample, q: number): number {
  const n = sample.values.length;
  if (n === 0) return NaN;
  const target = Math.max(q * sample.total, Number.MIN_VALUE);
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += sample.weights[i];
    if (cum >= target) return sample.values[i];
  }
  return sample.values[n - 1];
}

/** Several quantiles in one sweep; `qs` must be ascending. */
export function quantiles(sample: WeightedSample, qs: readonly number[]): number[] {
  const out: number[] = [];
  const n = sample.values.length;
  let i = 0;
  let cum = n ? sample.weights[0] : 0;
  for (const q of qs) {
    if (n === 0) {
      out.push(NaN);
      continue;
    }
    const target = Math.max(q * sample.total, Number.MIN_VALUE);
    while (cum < target && i < n - 1) cum += sample.weights[++i];
    out.push(sample.values[i]);
  }
  return out;
}
