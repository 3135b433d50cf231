/**
 * Feature statistics in the proto3 JSON shape of tensorflow_metadata's
 * DatasetFeatureStatisticsList (statistics.proto), so TFDV and Facets tooling can read them.
 * Statistics beyond the proto's fields go into `customStats`, as TFDV's own generators do.
 */
export type StatsFeatureType = 'INT' | 'FLOAT' | 'STRING' | 'BYTES' | 'STRUCT';

export interface DatasetFeatureStatisticsList {
  datasets: DatasetFeatureStatistics[];
}

export interface DatasetFeatureStatistics {
  /** The split name. */
  name: string;
  numExamples: number;
  features: FeatureNameStatistics[];
}

export interface FeatureNameStatistics {
  name: string;
  type: StatsFeatureType;
  numStats?: NumericStatistics;
  stringStats?: StringStatistics;
  customStats?: CustomStatistic[];
}

export interface CustomStatistic {
  name: string;
  num?: number;
  str?: string;
  histogram?: Histogram;
}

export interface CommonStatistics {
  numNonMissing: number;
  numMissing: number;
  minNumValues: number;
  maxNumValues: number;
  avgNumValues: number;
  totNumValues: number;
  /** List features: how many values examples have (QUANTILES buckets over the per-example counts). */
  numValuesHistogram?: Histogram;
}

export interface HistogramBucket {
  lowValue: number;
  highValue: number;
  sampleCount: number;
}

export interface Histogram {
  numNan?: number;
  numUndefined?: number;
  buckets: HistogramBucket[];
  type: 'STANDARD' | 'QUANTILES';
}

export interface NumericStatistics {
  commonStats: CommonStatistics;
  mean: number;
  stdDev: number;
  numZeros: number;
  min: number;
  median: number;
  max: number;
  histograms: Histogram[];
}

export interface StringStatistics {
  commonStats: CommonStatistics;
  /** Distinct values (exact below a bound, else a sketch estimate: see customStats `unique_is_estimate`). */
  unique: number;
  topValues: { value: string; frequency: number }[];
  avgLength: number;
  rankHistogram?: { buckets: { lowRank: number; highRank: number; label: string; sampleCount: number }[] };
}

export const STATISTICS_FILE = 'FeatureStats.json';
/** The same statistics as TFDV's binary DatasetFeatureStatisticsList (formats/tfx-proto.ts), for tfdv.load_stats_binary and Facets. */
export const STATISTICS_PB_FILE = 'FeatureStats.pb';

/** The headline numbers of one feature in one split: what the statistics viewer and data trends show. */
export interface FeatureSummary {
  /** Examples with a value. */
  count: number;
  missing: number;
  /** 0..100 of count + missing (TFDV's numNonMissing + numMissing: every example of the split). */
  missingPct: number;
  mean?: number;
  std?: number;
  min?: number;
  median?: number;
  max?: number;
  zeros?: number;
  unique?: number;
  topValues?: { value: string; frequency: number }[];
  /** Standard (equal-width) histogram buckets of numeric features. */
  histogram?: HistogramBucket[];
  /** List features: values per example (min, max, average, total) and their QUANTILES histogram. */
  valueCounts?: { min: number; max: number; avg: number; total: number; histogram: HistogramBucket[] };
}

export function featureSummary(f: FeatureNameStatistics, numExamples: number): FeatureSummary {
  const common = f.numStats?.commonStats ?? f.stringStats?.commonStats;
  const count = common?.numNonMissing ?? 0;
  const missing = common?.numMissing ?? Math.max(0, numExamples - count);
  const total = count + missing;
  const out: FeatureSummary = { count, missing, missingPct: total > 0 ? (missing / total) * 100 : 0 };
  if (f.numStats) {
    const n = f.numStats;
    Object.assign(out, { mean: n.mean, std: n.stdDev, min: n.min, median: n.median, max: n.max, zeros: n.numZeros });
    out.histogram = n.histograms.find((h) => h.type === 'STANDARD')?.buckets ?? n.histograms[0]?.buckets;
  }
  if (common?.numValuesHistogram) {
    out.valueCounts = {
      min: common.minNumValues,
      max: common.maxNumValues,
      avg: common.avgNumValues,
      total: common.totNumValues,
      histogram: common.numValuesHistogram.buckets,
    };
  }
  if (f.stringStats) {
    out.unique = f.stringStats.unique;
    out.topValues = f.stringStats.topValues;
  }
  return out;
}
