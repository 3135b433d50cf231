/**
 * Schema inference from statistics, TFDV-style.
 *
 * Like TFX's SchemaGen (infer from the first split, then `update_schema` with the others), the
 * schema covers the union of the given splits: the widest type, the lowest presence, every value
 * seen and the overall min/max. So a schema inferred from train and eval accepts both; exclude a
 * split to keep it out of the schema.
 */
import type { DatasetFeatureStatistics, FeatureNameStatistics } from '../../formats/statistics.ts';
import type { Schema, SchemaFeature, SchemaFeatureType, StringDomain } from '../../formats/schema.ts';
import { commonStats, isStringFeature, stringValueCounts } from './feature-stats.ts';

export interface InferOptions {
  /** Record valueCount min=max=1 for features that are always single-valued. */
  inferFeatureShape: boolean;
  /** Strings with at most this many distinct values (in all splits together) get a string domain. */
  maxDomainSize: number;
  /** Record the observed min/max as intDomain/floatDomain. */
  inferRanges: boolean;
}

export interface InferredSchema {
  schema: Schema;
  /** Things the user may want to know (skipped features, widened types). */
  notes: string[];
}

/** One feature as seen in one split, with that split's size. */
interface Observation {
  stats: FeatureNameStatistics;
  numExamples: number;
}

export function inferSchema(datasets: DatasetFeatureStatistics[], options: InferOptions): InferredSchema {
  const notes: string[] = [];
  const observations = new Map<string, Observation[]>();
  for (const ds of datasets) {
    for (const f of ds.features) {
      const list = observations.get(f.name) ?? [];
      list.push({ stats: f, numExamples: ds.numExamples });
      observations.set(f.name, list);
    }
  }
  const schema: Schema = { feature: [] };
  const stringDomains: StringDomain[] = [];
  for (const [name, seen] of observations) {
    const type = mergeType(seen.map((o) => o.stats));
    if (type === undefined) {
      notes.push(`feature "${name}" has STRUCT statistics, which a schema cannot describe yet; left out`);
      continue;
    }
    if (type === 'BYTES' && seen.some((o) => !isStringFeature(o.stats)))
      notes.push(`feature "${name}" is numeric in some splits and a string in others; inferred as BYTES`);
    // A split without the feature at all saw it missing in every example.
    const absentFrom = datasets.filter((ds) => !ds.features.some((f) => f.name === name));
    const all = [...seen, ...absentFrom.map((ds) => ({ stats: { name, type: seen[0].stats.type }, numExamples: ds.numExamples }))];

    const feature: SchemaFeature = { name, type, presence: inferPresence(all) };
    const valueCount = options.inferFeatureShape ? inferValueCount(seen) : undefined;
    if (valueCount) feature.valueCount = valueCount;

    if (type === 'BYTES') {
      const values = inferStringDomain(seen, options.maxDomainSize);
      if (values) {
        stringDomains.push({ name, value: values });
        feature.domain = name;
      }
    } else if (options.inferRanges) {
      const range = observedRange(seen);
      if (range && type === 'INT') feature.intDomain = range;
      if (range && type === 'FLOAT') feature.floatDomain = range;
    }
    schema.feature.push(feature);
  }
  if (stringDomains.length) schema.stringDomain = stringDomains;
  return { schema, notes };
}

/** INT and FLOAT widen to FLOAT; anything stringy makes BYTES. STRUCT cannot be described. */
function mergeType(stats: FeatureNameStatistics[]): SchemaFeatureType | undefined {
  if (stats.some((s) => s.type === 'STRUCT')) return undefined;
  if (stats.some((s) => isStringFeature(s))) return 'BYTES';
  if (stats.some((s) => s.type === 'FLOAT')) return 'FLOAT';
  return 'INT';
}

/** How far below the worst observed presence new data may fall before it is an anomaly, at least. */
const PRESENCE_SLACK = 0.01;

/**
 * minFraction is 1 for a feature never missing. Otherwise the lowest observed fraction, less one
 * percentage point, rounded down to a multiple of 0.1: a fresh sample of the same data varies by
 * a percent or two (0.978 in train, 0.976 in eval), so only a clear drop in presence should be an
 * anomaly. minCount is 1 when every non-empty split has the feature at all.
 */
function inferPresence(all: Observation[]): { minFraction?: number; minCount: number } {
  let minFraction = 1;
  let everywhere = true;
  for (const o of all) {
    if (o.numExamples <= 0) continue;
    const present = commonStats(o.stats).numNonMissing;
    if (present === 0) everywhere = false;
    minFraction = Math.min(minFraction, present >= o.numExamples ? 1 : conservativeFraction(present / o.numExamples));
  }
  return minFraction > 0 ? { minFraction, minCount: everywhere ? 1 : 0 } : { minCount: everywhere ? 1 : 0 };
}

function conservativeFraction(observed: number): number {
  // The epsilon keeps 0.71 - 0.01 (0.6999...) from flooring to 0.6.
  const tenths = Math.floor((observed - PRESENCE_SLACK) * 10 + 1e-9);
  return Math.max(0, tenths / 10);
}

function inferValueCount(seen: Observation[]): { min: number; max?: number } | undefined {
  const present = seen.map((o) => commonStats(o.stats)).filter((c) => c.numNonMissing > 0);
  if (!present.length) return undefined;
  if (present.every((c) => c.minNumValues === 1 && c.maxNumValues === 1)) return { min: 1, max: 1 };
  // Variable length: only the lower bound is a shape property worth checking.
  return { min: Math.min(...present.map((c) => c.minNumValues)) };
}

/** The sorted distinct values over all splits, when every split lists them all and they are few. */
function inferStringDomain(seen: Observation[], maxDomainSize: number): string[] | undefined {
  const values = new Set<string>();
  for (const o of seen) {
    if (commonStats(o.stats).numNonMissing === 0) continue;
    const counts = stringValueCounts(o.stats);
    if (!counts?.complete) return undefined;
    for (const v of counts.counts.keys()) values.add(v);
    if (values.size > maxDomainSize) return undefined;
  }
  if (values.size === 0) return undefined;
  return [...values].sort();
}

function observedRange(seen: Observation[]): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const o of seen) {
    const n = o.stats.numStats;
    if (!n || n.commonStats.numNonMissing === 0) continue;
    if (Number.isFinite(n.min)) min = Math.min(min, n.min);
    if (Number.isFinite(n.max)) max = Math.max(max, n.max);
  }
  return Number.isFinite(min) && Number.isFinite(max) ? { min, max } : undefined;
}
