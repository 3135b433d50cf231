/**
 * Distances between two splits' distributions, as TFDV's drift/skew comparators define them:
 * L-infinity on normalised categorical frequencies, Jensen–Shannon divergence (base 2, so 0..1)
 * on numeric histograms or categorical frequencies.
 */
import type { FeatureNameStatistics, Histogram } from '../../formats/statistics.ts';
import { histogramOfType, stringValueCounts, type ValueCounts } from '../schema-gen/feature-stats.ts';

export interface LinfResult {
  distance: number;
  /** The value where the frequencies differ most, with both frequencies. */
  value: string;
  baselineFrequency: number;
  currentFrequency: number;
  /** False when a side only lists its top values: the distance is then a lower bound. */
  exact: boolean;
}

/**
 * max over values v of |p(v) - q(v)|, with p and q each normalised to sum to 1. When a side only
 * knows its top values, an unlisted value's frequency lies between 0 and that side's smallest
 * listed frequency; the distance used is the smallest one consistent with that, so a partial
 * list can miss drift but never invents it.
 */
export function linfDistance(baseline: ValueCounts, current: ValueCounts): LinfResult | undefined {
  if (baseline.total <= 0 || current.total <= 0) return undefined;
  let best: LinfResult = { distance: 0, value: '', baselineFrequency: 0, currentFrequency: 0, exact: baseline.complete && current.complete };
  const values = new Set([...baseline.counts.keys(), ...current.counts.keys()]);
  for (const value of values) {
    const b = frequencyBounds(baseline, value);
    const c = frequencyBounds(current, value);
    const distance = Math.max(0, b.low - c.high, c.low - b.high);
    if (distance > best.distance) best = { ...best, distance, value, baselineFrequency: b.low, currentFrequency: c.low };
  }
  return best;
}

function frequencyBounds(side: ValueCounts, value: string): { low: number; high: number } {
  const count = side.counts.get(value);
  if (count !== undefined) return { low: count / side.total, high: count / side.total };
  return { low: 0, high: side.complete ? 0 : side.minListedCount / side.total };
}

/** Jensen–Shannon divergence, base 2, between two (unnormalised) count vectors over the same bins. */
export function jensenShannonDivergence(p: number[], q: number[]): number | undefined {
  if (p.length !== q.length) throw new Error('jensenShannonDivergence: vectors over different bins');
  const sp = p.reduce((a, x) => a + x, 0);
  const sq = q.reduce((a, x) => a + x, 0);
  if (sp <= 0 || sq <= 0) return undefined;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const mi = (pi + qi) / 2;
    if (pi > 0) js += 0.5 * pi * Math.log2(pi / mi);
    if (qi > 0) js += 0.5 * qi * Math.log2(qi / mi);
  }
  // Rounding can leave a hair outside [0, 1].
  return Math.min(1, Math.max(0, js));
}

/**
 * Jensen–Shannon divergence between two categorical distributions. Values a side does not list
 * (partial top-values lists) are pooled in one "other" bin, so the result is exact only when both
 * sides list every value.
 */
export function categoricalJensenShannon(baseline: ValueCounts, current: ValueCounts): number | undefined {
  const values = [...new Set([...baseline.counts.keys(), ...current.counts.keys()])];
  const vector = (side: ValueCounts) => {
    const listed = values.map((v) => side.counts.get(v) ?? 0);
    const other = Math.max(0, side.total - listed.reduce((a, x) => a + x, 0));
    return [...listed, other];
  };
  return jensenShannonDivergence(vector(baseline), vector(current));
}

/**
 * Put two histograms on common bins: the union of all bucket boundaries. A bucket's count is
 * spread over the common bins it covers in proportion to their width (uniform density within a
 * bucket). Zero-width buckets (a constant feature) are point masses with a bin of their own, and
 * NaN counts get one bin too, since a change in NaNs is drift as well.
 */
export function alignHistograms(a: Histogram, b: Histogram): { baseline: number[]; current: number[] } {
  const all = [...a.buckets, ...b.buckets];
  const edges = [...new Set(all.filter(isInterval).flatMap((x) => [x.lowValue, x.highValue]))].sort((x, y) => x - y);
  const atoms = [...new Set(all.filter((x) => !isInterval(x)).map(atomValue))].filter((x) => x !== undefined).sort((x, y) => x - y);

  const spread = (h: Histogram): number[] => {
    const cells = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
    const points = new Array<number>(atoms.length).fill(0);
    for (const bucket of h.buckets) {
      if (isInterval(bucket)) {
        const width = bucket.highValue - bucket.lowValue;
        for (let k = 0; k < cells.length; k++) {
          const overlap = Math.min(edges[k + 1], bucket.highValue) - Math.max(edges[k], bucket.lowValue);
          if (overlap > 0) cells[k] += (bucket.sampleCount * overlap) / width;
        }
      } else {
        const at = atoms.indexOf(atomValue(bucket) as number);
        if (at >= 0) points[at] += bucket.sampleCount;
      }
    }
    return [...cells, ...points, h.numNan ?? 0];
  };
  return { baseline: spread(a), current: spread(b) };
}

/**
 * JSD of the numeric histograms, the lower of the STANDARD and QUANTILES estimates. Two splits'
 * buckets never line up, and spreading counts uniformly within a bucket misplaces mass where the
 * data is spiky (e.g. many rows at one location): a grid shift of a fraction of a bucket then
 * looks like drift in one binning but not the other. A real shift shows in both.
 */
export function numericJensenShannon(b: FeatureNameStatistics, c: FeatureNameStatistics): number | undefined {
  let best: number | undefined;
  for (const type of ['STANDARD', 'QUANTILES'] as const) {
    const bh = histogramOfType(b, type);
    const ch = histogramOfType(c, type);
    if (!bh || !ch) continue;
    const aligned = alignHistograms(bh, ch);
    const jsd = jensenShannonDivergence(aligned.baseline, aligned.current);
    if (jsd !== undefined && (best === undefined || jsd < best)) best = jsd;
  }
  return best;
}

/**
 * A feature's drift between two splits as the default drift check measures it: L-infinity of the
 * value frequencies for string features, Jensen–Shannon divergence of the histograms for numeric
 * ones. Undefined when either side has no values to compare. (The statistics viewer ranks by it.)
 */
export function featureDrift(baseline: FeatureNameStatistics, current: FeatureNameStatistics): { measure: 'L-infinity' | 'Jensen-Shannon'; value: number; exact: boolean } | undefined {
  const bv = stringValueCounts(baseline);
  const cv = stringValueCounts(current);
  if (bv && cv) {
    const linf = linfDistance(bv, cv);
    return linf && { measure: 'L-infinity', value: linf.distance, exact: linf.exact };
  }
  const jsd = numericJensenShannon(baseline, current);
  return jsd === undefined ? undefined : { measure: 'Jensen-Shannon', value: jsd, exact: true };
}

function isInterval(bucket: { lowValue: number; highValue: number }): boolean {
  return isFinite(bucket.lowValue) && isFinite(bucket.highValue) && bucket.highValue > bucket.lowValue;
}

/** A degenerate bucket's position: its value, or its finite end when the other end is infinite. */
function atomValue(bucket: { lowValue: number; highValue: number }): number | undefined {
  if (isFinite(bucket.lowValue)) return bucket.lowValue;
  if (isFinite(bucket.highValue)) return bucket.highValue;
  return undefined;
}

function isFinite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
