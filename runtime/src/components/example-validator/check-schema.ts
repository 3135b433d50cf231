/**
 * Checks of one split's statistics against a schema: the TFDV anomaly kinds for columns, types,
 * presence, value counts and domains. Deprecated schema features are neither required nor new.
 */
import type { DatasetFeatureStatistics, FeatureNameStatistics } from '../../formats/statistics.ts';
import type { Schema, SchemaFeature } from '../../formats/schema.ts';
import { commonStats, isStringFeature, stringValueCounts } from '../schema-gen/feature-stats.ts';
import { finding, type FeatureFinding } from './anomaly-reasons.ts';

/** How many unexpected string values an anomaly lists by name. */
export const MAX_LISTED_VALUES = 10;

export function checkSplit(split: DatasetFeatureStatistics, schema: Schema): { findings: FeatureFinding[]; dataMissing: boolean } {
  if (split.numExamples <= 0) return { findings: [], dataMissing: true };
  const statsByName = new Map(split.features.map((f) => [f.name, f]));
  const findings: FeatureFinding[] = [];
  for (const feature of schema.feature) {
    if (feature.deprecated) continue;
    const stats = statsByName.get(feature.name);
    if (!stats) {
      findings.push(finding(feature.name, 'ERROR', 'SCHEMA_MISSING_COLUMN', 'Column dropped', 'The feature is in the schema but not in the data.'));
      continue;
    }
    findings.push(...checkFeature(feature, stats, split.numExamples, schema));
  }
  const inSchema = new Set(schema.feature.map((f) => f.name));
  for (const stats of split.features) {
    if (!inSchema.has(stats.name))
      findings.push(finding(stats.name, 'ERROR', 'SCHEMA_NEW_COLUMN', 'New column', 'The feature is in the data but not in the schema.'));
  }
  return { findings, dataMissing: false };
}

function checkFeature(feature: SchemaFeature, stats: FeatureNameStatistics, numExamples: number, schema: Schema): FeatureFinding[] {
  const out: FeatureFinding[] = [];
  const c = commonStats(stats);
  const name = feature.name;

  const minFraction = feature.presence?.minFraction;
  const fraction = c.numNonMissing / numExamples;
  if (minFraction !== undefined && fraction < minFraction - 1e-12) {
    out.push(
      finding(
        name,
        'ERROR',
        'FEATURE_TYPE_LOW_FRACTION_PRESENT',
        'Column missing in examples',
        `The feature is present in ${pct(fraction)} of the examples (${c.numNonMissing} of ${numExamples}), below the required ${pct(minFraction)}.`,
      ),
    );
  }
  const minCount = feature.presence?.minCount;
  if (minCount !== undefined && c.numNonMissing < minCount) {
    out.push(
      finding(name, 'ERROR', 'FEATURE_TYPE_LOW_NUMBER_PRESENT', 'Column missing in examples', `The feature is present in ${c.numNonMissing} examples, fewer than the required ${minCount}.`),
    );
  }
  // Nothing below can be judged without values; the type of an all-missing column is only a guess.
  if (c.numNonMissing === 0) return out;

  const typeCheck = compareType(feature, stats);
  if (typeCheck) {
    out.push(typeCheck);
    if (typeCheck.severity === 'ERROR') return out;
  }

  const vc = feature.valueCount;
  if (vc?.min !== undefined && c.minNumValues < vc.min)
    out.push(finding(name, 'ERROR', 'FEATURE_TYPE_LOW_NUMBER_VALUES', 'Missing values', `Some examples have ${c.minNumValues} values, fewer than the expected minimum ${vc.min}.`));
  if (vc?.max !== undefined && c.maxNumValues > vc.max)
    out.push(finding(name, 'ERROR', 'FEATURE_TYPE_HIGH_NUMBER_VALUES', 'Superfluous values', `Some examples have ${c.maxNumValues} values, more than the expected maximum ${vc.max}.`));

  out.push(...checkRange(feature, stats));
  const domain = stringDomainValues(feature, schema);
  if (domain) out.push(...checkStringDomain(name, domain, stats));
  return out;
}

/** Integers in a FLOAT feature lose nothing, so that is only a warning; any other mismatch is an error. */
function compareType(feature: SchemaFeature, stats: FeatureNameStatistics): FeatureFinding | undefined {
  const actual = isStringFeature(stats) ? 'BYTES' : stats.type;
  if (actual === feature.type) return undefined;
  const severity = feature.type === 'FLOAT' && actual === 'INT' ? 'WARNING' : 'ERROR';
  return finding(feature.name, severity, 'UNEXPECTED_DATA_TYPE', 'Unexpected data type', `Expected data of type ${feature.type} but got ${stats.type}.`);
}

/**
 * Out-of-range values are WARNINGs (TFDV says ERROR): SchemaGen infers ranges from the data by
 * default, and the tails of a fresh sample routinely reach past them without anything being wrong.
 */
function checkRange(feature: SchemaFeature, stats: FeatureNameStatistics): FeatureFinding[] {
  const n = stats.numStats;
  const range = feature.intDomain ?? feature.floatDomain;
  if (!n || !range) return [];
  const kind = feature.intDomain ? 'INT' : 'FLOAT';
  const out: FeatureFinding[] = [];
  if (range.min !== undefined && n.min < range.min)
    out.push(
      finding(
        feature.name,
        'WARNING',
        kind === 'INT' ? 'INT_TYPE_SMALL_INT' : 'FLOAT_TYPE_SMALL_FLOAT',
        'Out-of-range values',
        `Unexpectedly small value: ${n.min} is below the domain's minimum ${range.min}.`,
      ),
    );
  if (range.max !== undefined && n.max > range.max)
    out.push(
      finding(
        feature.name,
        'WARNING',
        kind === 'INT' ? 'INT_TYPE_BIG_INT' : 'FLOAT_TYPE_BIG_FLOAT',
        'Out-of-range values',
        `Unexpectedly large value: ${n.max} is above the domain's maximum ${range.max}.`,
      ),
    );
  return out;
}

/** The allowed values of a feature: its own string domain or the top-level one it names. */
export function stringDomainValues(feature: SchemaFeature, schema: Schema): string[] | undefined {
  if (feature.stringDomain) return feature.stringDomain.value;
  if (feature.domain) return schema.stringDomain?.find((d) => d.name === feature.domain)?.value;
  return undefined;
}

function checkStringDomain(name: string, domain: string[], stats: FeatureNameStatistics): FeatureFinding[] {
  const counts = stringValueCounts(stats);
  if (!counts) return [];
  const allowed = new Set(domain);
  const unexpected = [...counts.counts].filter(([v]) => !allowed.has(v)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (!unexpected.length) return [];
  const listed = unexpected
    .slice(0, MAX_LISTED_VALUES)
    .map(([v, n]) => `${JSON.stringify(v)} (${n}, ${pct(n / counts.total)})`)
    .join(', ');
  const more = unexpected.length > MAX_LISTED_VALUES ? ` and ${unexpected.length - MAX_LISTED_VALUES} more` : '';
  const coverage = counts.complete ? '' : ` Only the ${counts.counts.size} most frequent values were known, so there may be more.`;
  return [
    finding(
      name,
      'ERROR',
      'ENUM_TYPE_UNEXPECTED_STRING_VALUES',
      'Unexpected string values',
      `Examples contain ${unexpected.length} values missing from the schema's domain: ${listed}${more}.${coverage}`,
    ),
  ];
}

export function pct(fraction: number): string {
  const p = fraction * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(1) : p.toPrecision(2)}%`;
}
