/**
 * The trends view's data (extension/src/viewers/trends.ts): a `tributary trends --json` report
 * narrowed to one feature. Reports are built here from raw per-span values, and every expected
 * number is computed from those values in the test.
 */
import assert from 'node:assert/strict';
import type { FeaturePoint, SpanTrend, TrendAnomaly, TrendsReport } from '../../runtime/src/metadata/trends.ts';
import { featureTrends, parseTrendsReport } from '../../extension/src/viewers/trends.ts';

/** Key statistics of raw values (null = missing), the way a FeaturePoint reports them. */
function pointOf(values: (number | null)[]): FeaturePoint {
  const present = values.filter((v): v is number => v !== null);
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  const sorted = [...present].sort((a, b) => a - b);
  return {
    type: 'FLOAT',
    count: present.length,
    missing: values.length - present.length,
    missingPct: (100 * (values.length - present.length)) / values.length,
    mean,
    std: Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length),
    min: sorted[0],
    median: sorted[Math.floor(sorted.length / 2)],
    max: sorted[sorted.length - 1],
  };
}

const raw: Record<number, { train: (number | null)[]; eval: (number | null)[] }> = {
  1: { train: [1, 2, 3, 4], eval: [2, 2] },
  2: { train: [2, 4, null, 6], eval: [3, null] },
  3: { train: [10, 12, 14, null, null], eval: [11, 13] },
};

function span(n: number, extra: Partial<SpanTrend> = {}, withFare = true): SpanTrend {
  return {
    span: n,
    runId: `run-${n}`,
    statisticsId: 10 + n,
    numExamples: { train: raw[n].train.length, eval: raw[n].eval.length },
    features: {
      ...(withFare ? { fare: { train: pointOf(raw[n].train), eval: pointOf(raw[n].eval) } } : {}),
      tips: { train: pointOf([n]), eval: pointOf([n]) },
    },
    anomalies: [],
    ...extra,
  };
}

const drift: TrendAnomaly = { split: 'train', feature: 'fare', severity: 'ERROR', types: ['COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH'], shortDescription: 'High JS divergence', description: 'long' };

describe('trends view data', () => {
  // Spans out of order and one span without `fare` (a dropped column), as a store can hold them.
  const report: TrendsReport = {
    pipeline: 'taxi',
    nodeId: 'statistics_gen',
    allFeatures: ['fare', 'tips'],
    spans: [
      span(3, { anomalies: [drift, { ...drift, feature: 'tips' }, { ...drift, split: 'eval', severity: 'WARNING', shortDescription: 'eval drift' }] }),
      span(1),
      span(2, {}, false),
    ],
  };

  it('one series per split (train first), spans in order, statistics of the raw values', () => {
    const t = featureTrends(report, 'fare');
    assert.deepEqual(t.splits, ['train', 'eval']);
    assert.equal(t.type, 'FLOAT');
    assert.equal(t.numeric, true);
    assert.deepEqual(t.series.train.map((p) => p.span), [1, 2, 3]);
    const s3 = raw[3].train.filter((v): v is number => v !== null);
    const p3 = t.series.train[2];
    assert.equal(p3.mean, s3.reduce((a, b) => a + b, 0) / s3.length); // (10+12+14)/3 = 12
    assert.equal(p3.mean, 12);
    assert.equal(p3.missingPct, 40); // 2 of 5 missing
    assert.equal(p3.count, 3);
    assert.equal(t.series.eval[0].mean, 2);
    assert.equal(t.series.train[0].runId, 'run-1');
  });

  it('a span without the feature is a gap, not a zero', () => {
    const t = featureTrends(report, 'fare');
    assert.equal(t.series.train[1].present, false);
    assert.equal(t.series.train[1].mean, undefined);
    assert.equal(t.series.train[1].missingPct, undefined);
  });

  it("marks only this feature's anomalies, per split", () => {
    const t = featureTrends(report, 'fare');
    assert.deepEqual(t.series.train[2].anomalies, [{ severity: 'ERROR', description: 'High JS divergence' }]);
    assert.deepEqual(t.series.eval[2].anomalies, [{ severity: 'WARNING', description: 'eval drift' }]);
    assert.deepEqual(t.series.train[0].anomalies, []);
    assert.deepEqual(featureTrends(report, 'tips').series.train[2].anomalies.length, 1);
  });

  it('string features: unique and top values instead of numbers', () => {
    const city: FeaturePoint = { type: 'STRING', count: 5, missing: 0, missingPct: 0, unique: 3, topValues: [
      { value: 'a', frequency: 3 },
      { value: 'b', frequency: 1 },
      { value: 'c', frequency: 1 },
      { value: 'd', frequency: 0 },
    ] };
    const t = featureTrends({ pipeline: 'p', allFeatures: ['city'], spans: [{ ...span(1), features: { city: { train: city } } }] }, 'city');
    assert.equal(t.numeric, false);
    assert.equal(t.series.train[0].unique, 3);
    assert.equal(t.series.train[0].topValues, 'a (3), b (1), c (1)');
  });

  it('unknown features and non-reports are clear errors', () => {
    assert.throws(() => featureTrends(report, 'nope'), /No feature "nope".*features: fare, tips/);
    assert.throws(() => parseTrendsReport('not json'), /did not print JSON/);
    assert.throws(() => parseTrendsReport('{"pipeline":"p"}'), /without "spans"/);
    assert.equal(parseTrendsReport(JSON.stringify(report)).spans.length, 3);
  });
});
