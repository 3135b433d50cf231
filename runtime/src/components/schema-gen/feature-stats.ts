/**
 * Read-only views over one feature's statistics, shared by SchemaGen and ExampleValidator so both
 * interpret the StatisticsGen contract the same way.
 */
import type { CommonStatistics, FeatureNameStatistics, Histogram } from '../../formats/statistics.ts';

const EMPTY_COMMON: CommonStatistics = {
  numNonMissing: 0,
  numMissing: 0,
  minNumValues: 0,
  maxNumValues: 0,
  avgNumValues: 0,
  totNumValues: 0,
};

export function commonStats(feature: FeatureNameStatistics): CommonStatistics {
  return feature.numStats?.commonStats ?? feature.stringStats?.commonStats ?? EMPTY_COMMON;
}

export function customNum(feature: FeatureNameStatistics, name: string): number | undefined {
  return feature.customStats?.find((c) => c.name === name)?.num;
}

export function isStringFeature(feature: FeatureNameStatistics): boolean {
  return feature.type === 'STRING' || feature.type === 'BYTES';
}

export interface ValueCounts {
  /** Count per distinct value. */
  counts: Map<string, number>;
  /**
   * True when `counts` holds every distinct value. When false only the most frequent values are
   * known, and any value not listed occurs at most `minListedCount` times.
   */
  complete: boolean;
  minListedCount: number;
  /** All values of the feature (listed or not): the denominator of frequencies. */
  total: number;
}

/**
 * The per-value counts of a string feature. StatisticsGen guarantees the rank histogram lists
 * every distinct value when the distinct count is exact and at most 1000; otherwise only the
 * top values are trustworthy.
 */
export function stringValueCounts(feature: FeatureNameStatistics): ValueCounts | undefined {
  const s = feature.stringStats;
  if (!s) return undefined;
  const exactUnique = !customNum(feature, 'unique_is_estimate');
  const buckets = s.rankHistogram?.buckets ?? [];
  const fromRank = exactUnique && buckets.length > 0 && buckets.length >= s.unique;
  const fromTop = exactUnique && s.topValues.length >= s.unique;
  const counts = new Map<string, number>();
  if (fromRank) for (const b of buckets) counts.set(b.label, (counts.get(b.label) ?? 0) + b.sampleCount);
  else for (const t of s.topValues) counts.set(t.value, (counts.get(t.value) ?? 0) + t.frequency);
  const listedTotal = sum(counts.values());
  const complete = fromRank || fromTop;
  // Prefer the value total from the counts when complete: it is exactly the distribution compared.
  const total = complete ? listedTotal : Math.max(s.commonStats.totNumValues, listedTotal);
  const minListedCount = counts.size ? Math.min(...counts.values()) : 0;
  return { counts, complete, minListedCount, total };
}

export function histogramOfType(feature: FeatureNameStatistics, type: Histogram['type']): Histogram | undefined {
  return feature.numStats?.histograms.find((h) => h.type === type && h.buckets.length > 0);
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
