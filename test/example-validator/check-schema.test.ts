import assert from 'node:assert/strict';
import { toAnomalies } from '../../runtime/src/components/example-validator/anomaly-reasons.ts';
import { checkSplit, MAX_LISTED_VALUES } from '../../runtime/src/components/example-validator/check-schema.ts';
import type { Schema, SchemaFeature } from '../../runtime/src/formats/schema.ts';
import type { FeatureNameStatistics } from '../../runtime/src/formats/statistics.ts';
import { dataset, numFeature, repeat, strFeature } from '../schema-gen/stats-fixtures.ts';

/** The reason types found for each feature of a one-split check. */
function reasons(features: FeatureNameStatistics[], schema: Schema, numExamples = 10): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of checkSplit(dataset('eval', numExamples, features), schema).findings)
    out.set(f.feature, [...(out.get(f.feature) ?? []), f.reason.type]);
  return out;
}

function only(feature: SchemaFeature, stats: FeatureNameStatistics, numExamples = 10) {
  const found = checkSplit(dataset('eval', numExamples, [stats]), { feature: [feature] }).findings;
  return { types: found.map((f) => f.reason.type), findings: found };
}

const tenInts = (xs: (number | null)[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) => numFeature('x', 'INT', xs);

describe('ExampleValidator schema checks', () => {
  it('flags a schema feature missing from the data, unless deprecated', () => {
    const schema: Schema = { feature: [{ name: 'x', type: 'INT' }, { name: 'gone', type: 'INT' }, { name: 'old', type: 'INT', deprecated: true }] };
    assert.deepEqual([...reasons([tenInts()], schema)], [['gone', ['SCHEMA_MISSING_COLUMN']]]);
  });

  it('flags a data feature not in the schema, unless the schema keeps it as deprecated', () => {
    const extra = strFeature('extra', repeat({ a: 10 }));
    assert.deepEqual([...reasons([tenInts(), extra], { feature: [{ name: 'x', type: 'INT' }] })], [['extra', ['SCHEMA_NEW_COLUMN']]]);
    assert.equal(reasons([tenInts(), extra], { feature: [{ name: 'x', type: 'INT' }, { name: 'extra', type: 'BYTES', deprecated: true }] }).size, 0);
  });

  it('flags presence below minFraction', () => {
    const feature: SchemaFeature = { name: 'x', type: 'INT', presence: { minFraction: 0.9 } };
    const low = only(feature, tenInts([1, 2, 3, 4, 5, 6, 7, 8, null, null]));
    assert.deepEqual(low.types, ['FEATURE_TYPE_LOW_FRACTION_PRESENT']);
    assert.match(low.findings[0].reason.description, /80\.0% of the examples \(8 of 10\), below the required 90\.0%/);
    assert.deepEqual(only(feature, tenInts([1, 2, 3, 4, 5, 6, 7, 8, 9, null])).types, []);
  });

  it('flags presence below minCount', () => {
    const feature: SchemaFeature = { name: 'x', type: 'INT', presence: { minCount: 5 } };
    assert.deepEqual(only(feature, tenInts([1, 2, 3, 4, null, null, null, null, null, null])).types, ['FEATURE_TYPE_LOW_NUMBER_PRESENT']);
    assert.deepEqual(only(feature, tenInts([1, 2, 3, 4, 5, null, null, null, null, null])).types, []);
  });

  it('flags a changed type: error, but only a warning for integers in a FLOAT feature', () => {
    const asString = only({ name: 'x', type: 'INT' }, strFeature('x', repeat({ a: 10 })));
    assert.deepEqual(asString.types, ['UNEXPECTED_DATA_TYPE']);
    assert.equal(asString.findings[0].severity, 'ERROR');
    assert.match(asString.findings[0].reason.description, /Expected data of type INT but got STRING/);
    const intsAsFloat = only({ name: 'x', type: 'FLOAT' }, tenInts());
    assert.deepEqual(intsAsFloat.findings.map((f) => [f.reason.type, f.severity]), [['UNEXPECTED_DATA_TYPE', 'WARNING']]);
    assert.deepEqual(only({ name: 'x', type: 'INT' }, tenInts()).types, []);
    assert.deepEqual(only({ name: 'x', type: 'BYTES' }, strFeature('x', repeat({ a: 10 }))).types, []);
  });

  it('flags value counts outside valueCount', () => {
    const multi = strFeature('x', repeat({ a: 10 }));
    Object.assign(multi.stringStats!.commonStats, { minNumValues: 0, maxNumValues: 3 });
    assert.deepEqual(only({ name: 'x', type: 'BYTES', valueCount: { min: 1, max: 1 } }, multi).types, [
      'FEATURE_TYPE_LOW_NUMBER_VALUES',
      'FEATURE_TYPE_HIGH_NUMBER_VALUES',
    ]);
    assert.deepEqual(only({ name: 'x', type: 'BYTES', valueCount: { min: 0, max: 3 } }, multi).types, []);
  });

  it('flags values outside an int domain', () => {
    const xs = [-4, 2, 3, 4, 5, 6, 7, 8, 9, 120];
    const out = only({ name: 'x', type: 'INT', intDomain: { min: 0, max: 100 } }, tenInts(xs));
    assert.deepEqual(out.types, ['INT_TYPE_SMALL_INT', 'INT_TYPE_BIG_INT']);
    // Ranges are mostly inferred from a sample, so values past them only warn.
    assert.deepEqual(out.findings.map((f) => f.severity), ['WARNING', 'WARNING']);
    assert.match(out.findings[0].reason.description, new RegExp(`${Math.min(...xs)} is below the domain's minimum 0`));
    assert.match(out.findings[1].reason.description, new RegExp(`${Math.max(...xs)} is above the domain's maximum 100`));
    assert.deepEqual(only({ name: 'x', type: 'INT', intDomain: { min: -4, max: 120 } }, tenInts(xs)).types, []);
  });

  it('flags values outside a float domain', () => {
    const stats = numFeature('x', 'FLOAT', [0.5, 1.5, 2.5]);
    assert.deepEqual(only({ name: 'x', type: 'FLOAT', floatDomain: { min: 1, max: 2 } }, stats, 3).types, ['FLOAT_TYPE_SMALL_FLOAT', 'FLOAT_TYPE_BIG_FLOAT']);
    assert.deepEqual(only({ name: 'x', type: 'FLOAT', floatDomain: { max: 2.5 } }, stats, 3).types, []);
  });

  it('lists new string values by frequency, truncated', () => {
    const extra = Object.fromEntries(Array.from({ length: MAX_LISTED_VALUES + 3 }, (_, i) => [`new${String(i).padStart(2, '0')}`, 1]));
    const values = repeat({ red: 50, blue: 30, purple: 7, ...extra });
    const schema: Schema = { feature: [{ name: 'c', type: 'BYTES', domain: 'colors' }], stringDomain: [{ name: 'colors', value: ['red', 'blue', 'green'] }] };
    const found = checkSplit(dataset('eval', values.length, [strFeature('c', values)]), schema).findings;
    assert.deepEqual(found.map((f) => f.reason.type), ['ENUM_TYPE_UNEXPECTED_STRING_VALUES']);
    const text = found[0].reason.description;
    const unexpected = MAX_LISTED_VALUES + 3 + 1;
    assert.match(text, new RegExp(`contain ${unexpected} values missing`));
    // Most frequent first, with its count and share of all values.
    assert.match(text, new RegExp(`: "purple" \\(7, ${((7 / values.length) * 100).toFixed(1)}%\\), "new00"`));
    assert.match(text, new RegExp(`and ${unexpected - MAX_LISTED_VALUES} more\\.$`));
    assert.doesNotMatch(text, /"red"|"blue"/);

    const inline: SchemaFeature = { name: 'c', type: 'BYTES', stringDomain: { value: ['red', 'blue'] } };
    assert.deepEqual(only(inline, strFeature('c', repeat({ red: 5, blue: 5 }))).types, []);
    assert.deepEqual(only(inline, strFeature('c', repeat({ red: 5, pink: 5 }))).types, ['ENUM_TYPE_UNEXPECTED_STRING_VALUES']);
  });

  it('says when only the top values could be checked', () => {
    const f = strFeature('c', repeat({ red: 5, pink: 5 }));
    f.customStats = [{ name: 'unique_is_estimate', num: 1 }];
    const out = only({ name: 'c', type: 'BYTES', stringDomain: { value: ['red'] } }, f);
    assert.match(out.findings[0].reason.description, /Only the 2 most frequent values were known/);
  });

  it('does not judge values of an all-missing feature', () => {
    const empty = numFeature('x', 'INT', new Array(10).fill(null));
    const out = only({ name: 'x', type: 'FLOAT', presence: { minCount: 1 }, floatDomain: { min: 1 } }, empty);
    assert.deepEqual(out.types, ['FEATURE_TYPE_LOW_NUMBER_PRESENT']);
  });

  it('marks a split without examples as data missing', () => {
    const result = checkSplit(dataset('eval', 0, []), { feature: [{ name: 'x', type: 'INT' }] });
    assert.deepEqual(result, { findings: [], dataMissing: true });
    const anomalies = toAnomalies(result.findings, result.dataMissing);
    assert.equal(anomalies.dataMissing, true);
    assert.equal(anomalies.datasetAnomalyInfo?.severity, 'ERROR');
  });

  it('merges several findings on one feature into one anomaly with the worst severity', () => {
    const stats = numFeature('x', 'INT', [5, 500, null, null]);
    const feature: SchemaFeature = { name: 'x', type: 'FLOAT', presence: { minFraction: 1 }, floatDomain: { max: 100 } };
    const anomalies = toAnomalies(checkSplit(dataset('eval', 4, [stats]), { feature: [feature] }).findings, false);
    const info = anomalies.anomalyInfo.x;
    assert.deepEqual(info.reason.map((r) => r.type), ['FEATURE_TYPE_LOW_FRACTION_PRESENT', 'UNEXPECTED_DATA_TYPE', 'FLOAT_TYPE_BIG_FLOAT']);
    assert.equal(info.severity, 'ERROR');
    assert.equal(info.shortDescription, 'Multiple anomalies');
    assert.deepEqual(info.path, { step: ['x'] });
    assert.equal(info.description, info.reason.map((r) => r.description).join(' '));
  });
});
