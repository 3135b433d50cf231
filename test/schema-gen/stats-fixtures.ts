/**
 * Hand-built statistics in StatisticsGen's contract, computed here from raw values so tests can
 * state their expectations in terms of the data (min of the values, fraction present, ...).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  DatasetFeatureStatistics,
  DatasetFeatureStatisticsList,
  FeatureNameStatistics,
  Histogram,
} from '../../runtime/src/formats/statistics.ts';
import { STATISTICS_FILE } from '../../runtime/src/formats/statistics.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

type Cell<T> = T | null;

function common(values: Cell<unknown>[]) {
  const present = values.filter((v) => v !== null).length;
  return {
    numNonMissing: present,
    numMissing: values.length - present,
    minNumValues: present ? 1 : 0,
    maxNumValues: present ? 1 : 0,
    avgNumValues: present ? 1 : 0,
    totNumValues: present,
  };
}

/** 10 equal-width buckets over [min, max] (one point bucket for a constant), last bucket closed. */
export function standardHistogram(xs: number[], buckets = 10): Histogram {
  if (!xs.length) return { type: 'STANDARD', buckets: [] };
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  if (min === max) return { type: 'STANDARD', buckets: [{ lowValue: min, highValue: max, sampleCount: xs.length }] };
  const width = (max - min) / buckets;
  const counts = new Array<number>(buckets).fill(0);
  for (const x of xs) counts[Math.min(buckets - 1, Math.floor((x - min) / width))]++;
  return {
    type: 'STANDARD',
    buckets: counts.map((sampleCount, i) => ({ lowValue: min + i * width, highValue: i === buckets - 1 ? max : min + (i + 1) * width, sampleCount })),
  };
}

function quantilesHistogram(xs: number[], buckets = 10): Histogram {
  const sorted = [...xs].sort((a, b) => a - b);
  if (!sorted.length) return { type: 'QUANTILES', buckets: [] };
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
  return {
    type: 'QUANTILES',
    buckets: Array.from({ length: buckets }, (_, i) => ({ lowValue: q(i / buckets), highValue: q((i + 1) / buckets), sampleCount: sorted.length / buckets })),
  };
}

export function numFeature(name: string, type: 'INT' | 'FLOAT', values: Cell<number>[]): FeatureNameStatistics {
  const xs = values.filter((v): v is number => v !== null);
  const mean = xs.reduce((a, x) => a + x, 0) / (xs.length || 1);
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    name,
    type,
    numStats: {
      commonStats: common(values),
      mean,
      stdDev: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length || 1)),
      numZeros: xs.filter((x) => x === 0).length,
      min: xs.length ? sorted[0] : 0,
      median: xs.length ? sorted[Math.floor(sorted.length / 2)] : 0,
      max: xs.length ? sorted[sorted.length - 1] : 0,
      histograms: [standardHistogram(xs), quantilesHistogram(xs)],
    },
  };
}

export function strFeature(name: string, values: Cell<string>[]): FeatureNameStatistics {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const present = values.filter((v): v is string => v !== null);
  return {
    name,
    type: 'STRING',
    stringStats: {
      commonStats: common(values),
      unique: counts.size,
      topValues: ranked.slice(0, 10).map(([value, frequency]) => ({ value, frequency })),
      avgLength: present.reduce((a, v) => a + v.length, 0) / (present.length || 1),
      rankHistogram: { buckets: ranked.map(([label, sampleCount], i) => ({ lowRank: i, highRank: i, label, sampleCount })) },
    },
  };
}

export function dataset(name: string, numExamples: number, features: FeatureNameStatistics[]): DatasetFeatureStatistics {
  return { name, numExamples, features };
}

/** `n` copies of each value, in order: e.g. repeat({a: 2, b: 1}) = ['a', 'a', 'b']. */
export function repeat(counts: Record<string, number>): string[] {
  return Object.entries(counts).flatMap(([v, n]) => new Array<string>(n).fill(v));
}

/** Standard normal samples by Box–Muller. */
export function normalSamples(n: number, mean: number, sd: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tributary-${prefix}-`));
}

/** Write statistics as an ExampleStatistics artifact folder and return its uri. */
export function writeStatisticsArtifact(root: string, name: string, datasets: DatasetFeatureStatistics[]): string {
  const uri = join(root, name);
  mkdirSync(uri, { recursive: true });
  const list: DatasetFeatureStatisticsList = { datasets };
  writeFileSync(join(uri, STATISTICS_FILE), JSON.stringify(list));
  return uri;
}
