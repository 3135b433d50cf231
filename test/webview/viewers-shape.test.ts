/** The viewers' data shaping, checked against values computed here from raw data. */
import assert from 'node:assert/strict';
import type { DatasetFeatureStatistics, DatasetFeatureStatisticsList, FeatureNameStatistics } from '../../runtime/src/formats/statistics.ts';
import type { ExampleAnomaliesFile } from '../../runtime/src/formats/anomalies.ts';
import type { EvaluationSlice, RunSummary } from '../../protocol/viewer-payload.ts';
import { anomalyRows, compareRuns, curveSeries, formatBytes, formatNumber, metricNames, parseMetricsJsonl, sortFeatureRows, sortSlices, statisticsTable } from '../../protocol/viewer-shape.ts';

/** Statistics of one numeric column, computed the long way (null = missing). */
function numericFeature(name: string, values: (number | null)[]): FeatureNameStatistics {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const mean = present.reduce((s, v) => s + v, 0) / present.length;
  const std = Math.sqrt(present.reduce((s, v) => s + (v - mean) ** 2, 0) / present.length);
  return {
    name,
    type: 'FLOAT',
    numStats: {
      commonStats: { numNonMissing: present.length, numMissing: values.length - present.length, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: present.length },
      mean,
      stdDev: std,
      numZeros: present.filter((v) => v === 0).length,
      min: present[0],
      median: present[Math.floor(present.length / 2)],
      max: present[present.length - 1],
      histograms: [{ type: 'STANDARD', buckets: [{ lowValue: present[0], highValue: present[present.length - 1], sampleCount: present.length }] }],
    },
  };
}

function stringFeature(name: string, values: (string | null)[]): FeatureNameStatistics {
  const present = values.filter((v): v is string => v !== null);
  const counts = new Map<string, number>();
  for (const v of present) counts.set(v, (counts.get(v) ?? 0) + 1);
  return {
    name,
    type: 'STRING',
    stringStats: {
      commonStats: { numNonMissing: present.length, numMissing: values.length - present.length, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: present.length },
      unique: counts.size,
      topValues: [...counts].sort((a, b) => b[1] - a[1]).map(([value, frequency]) => ({ value, frequency })),
      avgLength: present.reduce((s, v) => s + v.length, 0) / present.length,
    },
  };
}

const trainFare = [1, 2, 3, null, 5, 0];
const evalFare = [10, null, null, 4];
const trainCompany = ['a', 'b', 'a', null, 'c', 'a'];
const split = (name: string, features: FeatureNameStatistics[], n: number): DatasetFeatureStatistics => ({ name, numExamples: n, features });
const stats: DatasetFeatureStatisticsList = {
  datasets: [
    split('train', [numericFeature('fare', trainFare), stringFeature('company', trainCompany)], trainFare.length),
    // eval lacks `company`: the table must say so rather than invent numbers.
    split('eval', [numericFeature('fare', evalFare)], evalFare.length),
  ],
};
const anomalies: ExampleAnomaliesFile = {
  splits: {
    train: { anomalyInfo: { company: { path: { step: ['company'] }, severity: 'WARNING', shortDescription: 'New value', description: 'Unexpected value d', reason: [{ type: 'ENUM_TYPE_UNEXPECTED_STRING_VALUES', shortDescription: '', description: '' }] } } },
    eval: {
      anomalyInfo: { company: { path: { step: ['company'] }, severity: 'ERROR', shortDescription: 'Missing column', description: 'Column dropped', reason: [{ type: 'SCHEMA_MISSING_COLUMN', shortDescription: '', description: '' }] } },
      datasetAnomalyInfo: { path: { step: [] }, severity: 'WARNING', shortDescription: 'Low count', description: 'Few examples', reason: [] },
    },
  },
};

describe('viewers: statistics table', () => {
  const table = statisticsTable(stats, anomalies);

  it('puts splits side by side per feature, numeric and categorical apart', () => {
    assert.deepEqual(table.splits, [{ name: 'train', numExamples: 6 }, { name: 'eval', numExamples: 4 }]);
    assert.deepEqual(table.numeric.map((r) => r.name), ['fare']);
    assert.deepEqual(table.categorical.map((r) => r.name), ['company']);
    const fare = table.numeric[0];
    assert.equal(fare.splits.train?.count, 5);
    assert.equal(fare.splits.eval?.count, 2);
    assert.equal(fare.splits.train?.missingPct, (1 / 6) * 100);
    assert.equal(fare.splits.eval?.missingPct, 50);
    assert.equal(fare.splits.eval?.mean, (10 + 4) / 2);
    assert.equal(fare.splits.train?.zeros, 1);
    assert.equal(fare.splits.train?.max, 5);
    assert.equal(fare.splits.train?.histogram?.[0].sampleCount, 5);
    assert.equal(table.categorical[0].splits.eval, undefined, 'eval has no company column');
    assert.equal(table.categorical[0].splits.train?.unique, 3);
    assert.deepEqual(table.categorical[0].splits.train?.topValues?.[0], { value: 'a', frequency: 3 });
  });

  it('marks a feature with its worst anomaly and every split that has one', () => {
    const company = table.categorical[0];
    assert.equal(company.anomaly?.severity, 'ERROR');
    assert.equal(company.anomaly?.description, 'Column dropped');
    assert.deepEqual([...(company.anomaly?.splits ?? [])].sort(), ['eval', 'train']);
    assert.equal(table.numeric[0].anomaly, undefined);
  });

  it('sorts features with anomalies first, then by name', () => {
    const rows = sortFeatureRows([...table.numeric, ...table.categorical, { name: 'aaa', type: 'INT', splits: {} }]);
    assert.deepEqual(rows.map((r) => r.name), ['company', 'aaa', 'fare']);
  });
});

describe('viewers: anomalies', () => {
  it('lists every anomaly per split, errors first, dataset-level ones included', () => {
    const rows = anomalyRows(anomalies);
    assert.deepEqual(rows.map((r) => [r.severity, r.feature, r.split]), [
      ['ERROR', 'company', 'eval'],
      ['WARNING', '(dataset)', 'eval'],
      ['WARNING', 'company', 'train'],
    ]);
    assert.deepEqual(rows[0].reasons, ['SCHEMA_MISSING_COLUMN']);
  });
});

describe('viewers: evaluation slices', () => {
  const slice = (name: string, n: number, auc: number | null): EvaluationSlice => ({ name, slice: name === 'Overall' ? {} : { k: name }, example_count: n, metrics: { example_count: n, auc, accuracy: 0.5 } });
  const slices = [slice('Overall', 100, 0.8), slice('b', 30, 0.9), slice('a', 50, null), slice('c', 20, 0.7)];

  it('keeps the overall slice first and sorts the rest, missing values last either way', () => {
    assert.deepEqual(sortSlices(slices, { column: 'auc', descending: true }).map((s) => s.name), ['Overall', 'b', 'c', 'a']);
    assert.deepEqual(sortSlices(slices, { column: 'auc', descending: false }).map((s) => s.name), ['Overall', 'c', 'b', 'a']);
    assert.deepEqual(sortSlices(slices, { column: 'example_count', descending: true }).map((s) => s.name), ['Overall', 'a', 'b', 'c']);
    assert.deepEqual(sortSlices(slices, { column: 'name', descending: false }).map((s) => s.name), ['Overall', 'a', 'b', 'c']);
  });

  it('names metrics in first-seen order without example_count', () => {
    assert.deepEqual(metricNames(slices), ['auc', 'accuracy']);
  });
});

describe('viewers: training curves', () => {
  it('pairs train and val_ metrics per epoch and skips a torn line', () => {
    const lines = [
      { epoch: 1, loss: 0.5, acc: 0.7, val_loss: 0.6, val_acc: 0.65 },
      { epoch: 0, loss: 0.9, acc: 0.6, val_loss: 0.8 },
    ];
    const text = `${lines.map((l) => JSON.stringify({ ...l, time: '2026-01-01T00:00:00Z' })).join('\n')}\n{"epoch": 2, "loss`;
    const parsed = parseMetricsJsonl(text);
    assert.equal(parsed.length, 2);
    const { epochs, series } = curveSeries(parsed);
    assert.deepEqual(epochs, [1, 2], 'epochs sorted and shown 1-based');
    const loss = series.find((s) => s.metric === 'loss')!;
    assert.deepEqual(loss.train, [0.9, 0.5]);
    assert.deepEqual(loss.validation, [0.8, 0.6]);
    const acc = series.find((s) => s.metric === 'acc')!;
    assert.deepEqual(acc.validation, [null, 0.65]);
    assert.equal(series.some((s) => s.metric === 'time'), false, 'strings are not metrics');
  });
});

describe('viewers: run comparison', () => {
  it('flags the parameters and metrics on which runs differ', () => {
    const run = (runId: string, epochs: string, auc: number | undefined): RunSummary => ({
      runId,
      state: 'COMPLETE',
      startedAt: '',
      params: { 'trainer.epochs': epochs, 'trainer.batch_size': '128' },
      metrics: auc === undefined ? {} : { 'evaluator.auc': auc },
      nodes: [],
    });
    const { params, metrics } = compareRuns([run('r1', '3', 0.7), run('r2', '5', 0.7), run('r3', '3', undefined)]);
    assert.deepEqual(params, [
      { key: 'trainer.batch_size', values: ['128', '128', '128'], differs: false },
      { key: 'trainer.epochs', values: ['3', '5', '3'], differs: true },
    ]);
    assert.deepEqual(metrics, [{ key: 'evaluator.auc', values: [0.7, 0.7, undefined], differs: true }]);
  });
});

describe('viewers: formatting', () => {
  it('formats numbers and sizes for tables', () => {
    assert.equal(formatNumber(null), '–');
    assert.equal(formatNumber(NaN), 'NaN');
    assert.equal(formatNumber(12345), '12,345');
    assert.equal(formatNumber(0.123456), '0.1235');
    assert.equal(formatNumber(0.00001234), '1.23e-5');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MiB');
  });
});
