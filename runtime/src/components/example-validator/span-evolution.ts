/**
 * Schema evolution between two spans of the same data: columns that disappeared, appeared or
 * changed type, and features whose missing rate jumped. The schema check alone misses these when
 * SchemaGen re-infers the schema from every new span (the usual continuous-training set-up).
 */
import type { DatasetFeatureStatistics, FeatureNameStatistics } from '../../formats/statistics.ts';
import { finding, type FeatureFinding } from './anomaly-reasons.ts';
import { pct } from './check-schema.ts';
import { commonStats, isStringFeature } from '../schema-gen/feature-stats.ts';

export interface SpanLabels {
  /** e.g. `span 3` */
  current: string;
  /** e.g. `span 2 (statistics #14)` */
  previous: string;
}

function missingRate(f: FeatureNameStatistics, numExamples: number): number {
  const c = commonStats(f);
  const total = c.numMissing + c.numNonMissing || numExamples;
  return total > 0 ? c.numMissing / total : 0;
}

const typeName = (f: FeatureNameStatistics) => f.type;

/** Findings for split `current` against the same split of the previous span. */
export function checkSpanEvolution(
  previous: DatasetFeatureStatistics,
  current: DatasetFeatureStatistics,
  labels: SpanLabels,
  missingRateThreshold: number,
): FeatureFinding[] {
  const before = new Map(previous.features.map((f) => [f.name, f]));
  const now = new Map(current.features.map((f) => [f.name, f]));
  const out: FeatureFinding[] = [];
  for (const [name, b] of before) {
    if (now.has(name)) continue;
    out.push(
      finding(
        name,
        'ERROR',
        'SPAN_FEATURE_REMOVED',
        'Column dropped since the previous span',
        `Column "${name}" (${typeName(b)}) is in split "${previous.name}" of ${labels.previous} but not in ${labels.current}: it was dropped or renamed upstream.`,
      ),
    );
  }
  for (const [name, c] of now) {
    const b = before.get(name);
    if (!b) {
      out.push(
        finding(
          name,
          'WARNING',
          'SPAN_FEATURE_ADDED',
          'New column since the previous span',
          `Column "${name}" (${typeName(c)}) is new in ${labels.current}; ${labels.previous} did not have it.`,
        ),
      );
      continue;
    }
    if (b.type !== c.type) {
      // INT → FLOAT is a widening a model may survive; a change to or from strings is not.
      const severe = isStringFeature(b) !== isStringFeature(c);
      out.push(
        finding(
          name,
          severe ? 'ERROR' : 'WARNING',
          'SPAN_FEATURE_TYPE_CHANGED',
          'Type changed since the previous span',
          `Column "${name}" was ${b.type} in ${labels.previous} and is ${c.type} in ${labels.current}.`,
        ),
      );
    }
    const rb = missingRate(b, previous.numExamples);
    const rc = missingRate(c, current.numExamples);
    if (rc - rb > missingRateThreshold) {
      out.push(
        finding(
          name,
          'WARNING',
          'SPAN_MISSING_RATE_INCREASED',
          'Missing rate jumped since the previous span',
          `Column "${name}" is missing in ${pct(rc)} of the examples of ${labels.current}, up from ${pct(rb)} in ${labels.previous} ` +
            `(+${((rc - rb) * 100).toFixed(1)} points, threshold ${(missingRateThreshold * 100).toFixed(1)}).`,
        ),
      );
    }
  }
  return out;
}
