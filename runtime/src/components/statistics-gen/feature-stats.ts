/**
 * Turns merged accumulators into TFDV-shaped FeatureNameStatistics. Quantiles and both histograms
 * come from one weighted sample — the exact value counts when the column had few distinct values,
 * else the KLL sketch — as TFDV derives them from its quantiles sketch.
 */
import type {
  CommonStatistics,
  CustomStatistic,
  FeatureNameStatistics,
  Histogram,
  StatsFeatureType,
} from '../../formats/statistics.ts';
import { quantiles, type WeightedSample } from '../../sketches/weighted-sample.ts';
import type { NumericAccumulator } from './accumulators/numeric.ts';
import type { StringAccumulator } from './accumulators/string.ts';
import { stdDev } from './accumulators/moments.ts';
import type { ValueCounts } from './accumulators/value-counts.ts';

export interface OutputOptions {
  topK: number;
  numHistogramBuckets: number;
  numQuantilesHistogramBuckets: number;
}

/** Every distinct value is listed in the rank histogram up to this many (ExampleValidator relies on it). */
export const RANK_HISTOGRAM_LIMIT = 1000;

/** The quantiles reported in customStats, by name. */
const REPORTED_QUANTILES: [string, number][] = [
  ['p01', 0.01],
  ['p05', 0.05],
  ['p10', 0.1],
  ['p25', 0.25],
  ['p75', 0.75],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
];

/**
 * Presence and value counts. A scalar column has one value per present example; a list column's
 * ValueCounts say how many each example has, with the value-count histogram (QUANTILES, as TFDV's
 * num_values_histogram).
 */
function commonStats(present: number, numExamples: number, counts: ValueCounts | undefined, o: OutputOptions): CommonStatistics {
  if (counts) {
    const stats: CommonStatistics = {
      numNonMissing: counts.present,
      numMissing: numExamples - counts.present,
      minNumValues: counts.present > 0 ? counts.min : 0,
      maxNumValues: counts.present > 0 ? counts.max : 0,
      avgNumValues: counts.present > 0 ? counts.total / counts.present : 0,
      totNumValues: counts.total,
    };
    if (counts.present > 0) stats.numValuesHistogram = quantilesHistogram(counts.sample(), counts.min, counts.max, o.numQuantilesHistogramBuckets, 0);
    return stats;
  }
  const one = present > 0 ? 1 : 0;
  return { numNonMissing: present, numMissing: numExamples - present, minNumValues: one, maxNumValues: one, avgNumValues: one, totNumValues: present };
}

export function numericFeatureStats(acc: NumericAccumulator, numExamples: number, type: StatsFeatureType, o: OutputOptions): FeatureNameStatistics {
  const sample = acc.sample();
  const hasValues = sample.total > 0;
  const levels = [...REPORTED_QUANTILES.map(([, q]) => q), 0.5].sort((a, b) => a - b);
  const values = quantiles(sample, levels).map((v) => (hasValues ? v : 0));
  const at = (q: number) => values[levels.indexOf(q)];
  const median = at(0.5);
  const min = hasValues ? acc.min : 0;
  const max = hasValues ? acc.max : 0;
  const customStats: CustomStatistic[] = [
    { name: 'unique', num: acc.distinct() },
    { name: 'unique_is_estimate', num: acc.exact ? 0 : 1 },
    ...REPORTED_QUANTILES.map(([name, q]) => ({ name, num: at(q) })),
  ];
  if (type === 'INT') {
    const top = acc.freq.top(o.topK);
    customStats.push({
      name: 'top_values',
      str: JSON.stringify(top.keys.map((value, i) => ({ value, frequency: top.counts[i] }))),
    });
  }
  return {
    name: acc.name,
    type,
    numStats: {
      commonStats: commonStats(acc.present, numExamples, acc.valueCounts, o),
      mean: acc.moments.n > 0 ? acc.moments.mean : 0,
      stdDev: stdDev(acc.moments),
      numZeros: acc.zeros,
      min,
      median,
      max,
      histograms: [
        standardHistogram(sample, min, max, o.numHistogramBuckets, acc.nan),
        quantilesHistogram(sample, min, max, o.numQuantilesHistogramBuckets, acc.nan),
      ],
    },
    customStats,
  };
}

/** Equal-width buckets over [min, max]; the last bucket includes max. */
export function standardHistogram(sample: WeightedSample, min: number, max: number, buckets: number, numNan: number): Histogram {
  if (sample.total === 0) return { numNan, buckets: [], type: 'STANDARD' };
  if (!(max > min) || !Number.isFinite(max - min)) {
    return { numNan, buckets: [{ lowValue: min, highValue: max, sampleCount: sample.total }], type: 'STANDARD' };
  }
  const width = (max - min) / buckets;
  const counts = new Float64Array(buckets);
  for (let i = 0; i < sample.values.length; i++) {
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((sample.values[i] - min) / width)));
    counts[b] += sample.weights[i];
  }
  return {
    numNan,
    buckets: Array.from(counts, (sampleCount, b) => ({
      lowValue: min + b * width,
      highValue: b === buckets - 1 ? max : min + (b + 1) * width,
      sampleCount,
    })),
    type: 'STANDARD',
  };
}

/** Buckets bounded by the i/B quantiles, each holding total/B values (as TFDV writes them). */
export function quantilesHistogram(sample: WeightedSample, min: number, max: number, buckets: number, numNan: number): Histogram {
  if (sample.total === 0) return { numNan, buckets: [], type: 'QUANTILES' };
  const levels = Array.from({ length: buckets - 1 }, (_, i) => (i + 1) / buckets);
  const bounds = [min, ...quantiles(sample, levels), max];
  const per = sample.total / buckets;
  return {
    numNan,
    buckets: Array.from({ length: buckets }, (_, b) => ({ lowValue: bounds[b], highValue: bounds[b + 1], sampleCount: per })),
    type: 'QUANTILES',
  };
}

interface StringView {
  name: string;
  present: number;
  valueCounts: ValueCounts | undefined;
  totalBytes: number;
  exact: boolean;
  distinct: number;
  top(k: number): { keys: string[]; counts: number[] };
}

export function stringFeatureStats(acc: StringAccumulator, numExamples: number, o: OutputOptions): FeatureNameStatistics {
  return stringStatsOf(
    {
      name: acc.name,
      present: acc.present,
      valueCounts: acc.valueCounts,
      totalBytes: acc.totalBytes,
      exact: acc.exact,
      distinct: acc.distinct(),
      top: (k) => acc.freq.top(k),
    },
    numExamples,
    'STRING',
    o,
  );
}

/** A numeric column the schema declares categorical (or BYTES): string statistics of its values. */
export function categoricalNumericStats(acc: NumericAccumulator, numExamples: number, type: StatsFeatureType, o: OutputOptions): FeatureNameStatistics {
  let totalBytes = 0;
  acc.freq.forEach((k, c) => (totalBytes += String(k).length * c));
  const view: StringView = {
    name: acc.name,
    present: acc.present,
    valueCounts: acc.valueCounts,
    // Approximate once the counts are a summary: only the listed values contribute.
    totalBytes,
    exact: acc.exact,
    distinct: acc.distinct(),
    top: (k) => {
      const t = acc.freq.top(k);
      return { keys: t.keys.map(String), counts: t.counts };
    },
  };
  return stringStatsOf(view, numExamples, type, o);
}

function stringStatsOf(v: StringView, numExamples: number, type: StatsFeatureType, o: OutputOptions): FeatureNameStatistics {
  const top = v.top(o.topK);
  const stats: FeatureNameStatistics = {
    name: v.name,
    type,
    stringStats: {
      commonStats: commonStats(v.present, numExamples, v.valueCounts, o),
      unique: v.distinct,
      topValues: top.keys.map((value, i) => ({ value, frequency: top.counts[i] })),
      avgLength: v.present > 0 ? v.totalBytes / v.present : 0,
    },
    customStats: [{ name: 'unique_is_estimate', num: v.exact ? 0 : 1 }],
  };
  if (v.exact && v.distinct <= RANK_HISTOGRAM_LIMIT) {
    const all = v.top(v.distinct);
    stats.stringStats!.rankHistogram = {
      buckets: all.keys.map((label, i) => ({ lowRank: i, highRank: i, label, sampleCount: all.counts[i] })),
    };
  }
  return stats;
}
