/**
 * Drift between two splits (or a split and the same split of earlier statistics). String features
 * are compared by L-infinity distance of their value frequencies, numeric ones by Jensen–Shannon
 * divergence of their histograms (see distances.ts numericJensenShannon); a schema feature's driftComparator overrides the thresholds and
 * may ask for JSD on a string feature too. A distance above its threshold is an ERROR, as in TFDV.
 */
import type { DatasetFeatureStatistics, FeatureNameStatistics } from '../../formats/statistics.ts';
import type { Schema, SchemaFeature } from '../../formats/schema.ts';
import { commonStats, stringValueCounts } from '../schema-gen/feature-stats.ts';
import { finding, type FeatureFinding } from './anomaly-reasons.ts';
import { pct } from './check-schema.ts';
import { categoricalJensenShannon, linfDistance, numericJensenShannon } from './distances.ts';

export interface DriftThresholds {
  linf: number;
  jsd: number;
}

export interface DriftComparison {
  baseline: DatasetFeatureStatistics;
  current: DatasetFeatureStatistics;
  /** How the baseline is named in descriptions, e.g. `split "train"`. */
  baselineLabel: string;
}

export function checkDrift(comparison: DriftComparison, schema: Schema, defaults: DriftThresholds): FeatureFinding[] {
  const base = new Map(comparison.baseline.features.map((f) => [f.name, f]));
  const cur = new Map(comparison.current.features.map((f) => [f.name, f]));
  const out: FeatureFinding[] = [];
  for (const feature of schema.feature) {
    const b = base.get(feature.name);
    const c = cur.get(feature.name);
    if (feature.deprecated || !b || !c) continue;
    if (commonStats(b).numNonMissing === 0 || commonStats(c).numNonMissing === 0) continue;
    out.push(...compareFeature(feature, b, c, comparison, defaults));
  }
  return out;
}

function compareFeature(
  feature: SchemaFeature,
  b: FeatureNameStatistics,
  c: FeatureNameStatistics,
  comparison: DriftComparison,
  defaults: DriftThresholds,
): FeatureFinding[] {
  const comparator = feature.driftComparator;
  const between = `split "${comparison.current.name}" and ${comparison.baselineLabel}`;
  const out: FeatureFinding[] = [];
  const bv = stringValueCounts(b);
  const cv = stringValueCounts(c);
  if (bv && cv) {
    const threshold = comparator?.infinityNorm?.threshold ?? defaults.linf;
    const linf = linfDistance(bv, cv);
    if (linf && linf.distance > threshold) {
      const bound = linf.exact ? '' : ' at least';
      out.push(
        finding(
          feature.name,
          'ERROR',
          'COMPARATOR_L_INFTY_HIGH',
          'High L-infinity distance',
          `The L-infinity distance between ${between} is${bound} ${fmt(linf.distance)}, above the threshold ${threshold}. ` +
            `The most different value is ${JSON.stringify(linf.value)}: ${pct(linf.currentFrequency)} vs ${pct(linf.baselineFrequency)}.`,
        ),
      );
    }
    const jsdThreshold = comparator?.jensenShannonDivergence?.threshold;
    if (jsdThreshold !== undefined) {
      const jsd = categoricalJensenShannon(bv, cv);
      if (jsd !== undefined && jsd > jsdThreshold) out.push(jsdFinding(feature.name, between, jsd, jsdThreshold));
    }
    return out;
  }
  const threshold = comparator?.jensenShannonDivergence?.threshold ?? defaults.jsd;
  const jsd = numericJensenShannon(b, c);
  if (jsd !== undefined && jsd > threshold) out.push(jsdFinding(feature.name, between, jsd, threshold));
  return out;
}

function jsdFinding(feature: string, between: string, jsd: number, threshold: number): FeatureFinding {
  return finding(
    feature,
    'ERROR',
    'COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH',
    'High Jensen-Shannon divergence',
    `The Jensen-Shannon divergence between ${between} is ${fmt(jsd)}, above the threshold ${threshold}.`,
  );
}

function fmt(x: number): string {
  return x.toFixed(4);
}
