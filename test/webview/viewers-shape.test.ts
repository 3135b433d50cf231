/** The viewers' data shaping, checked against values computed here from raw data. */
import assert from 'node:assert/strict';
import type { DatasetFeatureStatistics, DatasetFeatureStatisticsList, FeatureNameStatistics } from '../../runtime/src/formats/statistics.ts';
import type { ExampleAnomaliesFile } from '../../runtime/src/formats/anomalies.ts';
import type { EvaluationSlice, RunSummary } from '../../protocol/viewer-payload.ts';
import { anomalyRows, barAt, barLabel, compareRuns, curveSeries, formatBytes, formatDelta, formatNumber, histogramSeries, maxDrift, metricNames, parseMetricsJsonl, sortFeatureRows, sortSlices, statisticsTable } from '../../protocol/viewer-shape.ts';

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

  it('sorts features with anomalies first, then the drifting ones, then by name', () => {
    const rows = sortFeatureRows([...table.numeric, ...table.categorical, { name: 'aaa', type: 'INT', splits: {} }]);
    // fare is in both splits (it has a drift), aaa in none.
    assert.deepEqual(rows.map((r) => r.name), ['company', 'fare', 'aaa']);
    assert.deepEqual(sortFeatureRows(rows, { column: 'attention', descending: false }).map((r) => r.name), ['aaa', 'fare', 'company'], 'reversed');
  });
});

/** A numeric feature with a given STANDARD histogram (counts per [edge_i, edge_i+1)). */
function histogramFeature(name: string, edges: number[], counts: number[]): FeatureNameStatistics {
  const n = counts.reduce((a, b) => a + b, 0);
  return {
    name,
    type: 'FLOAT',
    numStats: {
      commonStats: { numNonMissing: n, numMissing: 0, minNumValues: 1, maxNumValues: 1, avgNumValues: 1, totNumValues: n },
      mean: 0, stdDev: 0, numZeros: 0, min: edges[0], median: 0, max: edges.at(-1)!,
      histograms: [{ type: 'STANDARD', buckets: counts.map((sampleCount, i) => ({ lowValue: edges[i], highValue: edges[i + 1], sampleCount })) }],
    },
  };
}

describe('viewers: statistics drift, sorting and histograms', () => {
  // steady: the same distribution in both splits; shifted: all mass moves one bucket up.
  const drifting: DatasetFeatureStatisticsList = {
    datasets: [
      split('train', [histogramFeature('steady', [0, 1, 2], [50, 50]), histogramFeature('shifted', [0, 1, 2, 3], [100, 0, 0]), stringFeature('city', ['a', 'a', 'a', 'b', 'c'])], 100),
      split('eval', [histogramFeature('steady', [0, 1, 2], [25, 25]), histogramFeature('shifted', [0, 1, 2, 3], [0, 0, 50]), stringFeature('city', ['a', 'b', 'b', 'b'])], 50),
    ],
  };
  const table = statisticsTable(drifting);

  it('measures each split against the train split as the ExampleValidator does: JSD for numbers, L-infinity for strings', () => {
    assert.equal(table.baselineSplit, 'train');
    const steady = table.numeric.find((r) => r.name === 'steady')!;
    const shifted = table.numeric.find((r) => r.name === 'shifted')!;
    assert.deepEqual(Object.keys(steady.drift ?? {}), ['eval'], 'the baseline split has no drift of its own');
    assert.equal(steady.drift?.eval.measure, 'Jensen-Shannon');
    assert.ok(Math.abs(steady.drift!.eval.value) < 1e-12, 'same shape: no drift');
    // Disjoint supports: the Jensen-Shannon divergence (base 2) is 1.
    assert.ok(Math.abs(shifted.drift!.eval.value - 1) < 1e-12);
    // city: train a .6, b .2, c .2; eval a .25, b .75 → the largest gap is b: |.2 − .75| = .55.
    const city = table.categorical[0];
    assert.equal(city.drift?.eval.measure, 'L-infinity');
    assert.ok(Math.abs(city.drift!.eval.value - 0.55) < 1e-12);
    assert.equal(city.drift?.eval.exact, true);
  });

  it('measures against another split when asked', () => {
    const againstEval = statisticsTable(drifting, undefined, 'eval');
    assert.deepEqual(Object.keys(againstEval.categorical[0].drift ?? {}), ['train']);
    assert.ok(Math.abs(maxDrift(againstEval.categorical[0])! - 0.55) < 1e-12, 'L-infinity is symmetric');
  });

  it('ranks features by drift, and sorts by any column of a chosen split, rows without a value last', () => {
    const rows = [...table.numeric, { name: 'absent', type: 'FLOAT', splits: { train: undefined, eval: undefined } }];
    assert.deepEqual(sortFeatureRows(rows, { column: 'drift', descending: true }).map((r) => r.name), ['shifted', 'steady', 'absent']);
    assert.deepEqual(sortFeatureRows(rows, { column: 'drift', descending: false }).map((r) => r.name), ['steady', 'shifted', 'absent']);
    assert.deepEqual(sortFeatureRows(rows, { column: 'count', split: 'eval', descending: true }).map((r) => r.name), ['shifted', 'steady', 'absent']);
    assert.deepEqual(sortFeatureRows(rows, { column: 'max', split: 'train', descending: false }).map((r) => r.name), ['steady', 'shifted', 'absent']);
    assert.deepEqual(sortFeatureRows(rows, { column: 'name', descending: true }).map((r) => r.name), ['steady', 'shifted', 'absent']);
    // missing % of the first fixture: fare misses 1/6 in train, 50 % in eval.
    const withMissing = statisticsTable(stats);
    const company = withMissing.categorical[0];
    assert.deepEqual(sortFeatureRows([company, withMissing.numeric[0]], { column: 'missing', split: 'train', descending: true }).map((r) => r.name), ['company', 'fare']);
  });

  it('gives each split its own histogram buckets with shares, densities and hover labels', () => {
    const shifted = table.numeric.find((r) => r.name === 'shifted')!;
    const series = histogramSeries(['train', 'eval'].map((s) => ({ split: s, buckets: shifted.splits[s]?.histogram })));
    assert.deepEqual(series.map((s) => s.split), ['train', 'eval']);
    assert.deepEqual(series[1].bars.map((b) => [b.low, b.high, b.count, b.share]), [[0, 1, 0, 0], [1, 2, 0, 0], [2, 3, 50, 1]]);
    assert.equal(series[1].bars[2].density, 1, 'share 1 over width 1');
    assert.equal(barAt(series[1], 2.5), 2);
    assert.equal(barAt(series[1], 1), 1, 'an edge belongs to the bucket above it');
    assert.equal(barAt(series[1], 3), 2, 'the top edge belongs to the last bucket');
    assert.equal(barAt(series[1], 7), -1);
    assert.equal(barLabel('eval', series[1].bars[2]), 'eval: 2 to 3: 50 (100.0 %)');
    // A constant feature (a zero-width bucket) still gets a drawable width.
    const [constant] = histogramSeries([{ split: 'train', buckets: [{ lowValue: 5, highValue: 5, sampleCount: 9 }] }]);
    assert.ok(constant.bars[0].x1 > constant.bars[0].x0);
    assert.equal(barLabel('train', constant.bars[0]), 'train: = 5: 9 (100.0 %)');
    assert.equal(barAt(constant, 5), 0);
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
      { key: 'trainer.batch_size', values: ['128', '128', '128'], differs: false, deltas: [0, 0, 0] },
      { key: 'trainer.epochs', values: ['3', '5', '3'], differs: true, deltas: [0, 2, 0] },
    ]);
    assert.deepEqual(metrics, [{ key: 'evaluator.auc', values: [0.7, 0.7, undefined], differs: true, deltas: [0, 0, undefined] }]);
  });

  it('gives deltas against any reference run, and none for text', () => {
    const run = (runId: string, backend: string, auc: number): RunSummary => ({ runId, state: 'COMPLETE', startedAt: '', params: { 'trainer.backend': backend }, metrics: { 'evaluator.auc': auc }, nodes: [] });
    const { params, metrics } = compareRuns([run('r1', 'wasm', 0.75), run('r2', 'cpu', 0.8), run('r3', 'cpu', 0.5)], 1);
    assert.equal(params[0].deltas, undefined);
    assert.deepEqual(metrics[0].deltas!.map((d) => Number(d!.toFixed(10))), [-0.05, 0, -0.3]);
    assert.equal(formatDelta(0.05), '+0.05');
    assert.equal(formatDelta(-0.3), '−0.3');
    assert.equal(formatDelta(0), '0');
    assert.equal(formatDelta(undefined), '');
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
