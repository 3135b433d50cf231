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
