/** The evaluation viewer's plots and baseline table, from counts worked out here by hand. */
import assert from 'node:assert/strict';
import type { EvaluationSlice, ThresholdCurve } from '../../protocol/viewer-payload.ts';
import { barsWithIntervals, baselineComparison, calibrationPoints, metricDirection, operatingPoint, prPoints, rocPoints } from '../../protocol/evaluation-plots.ts';
import { calibrationChart, sliceMetricChart } from '../../webview/src/viewers/EvaluationView.tsx';
import { errorBarCount } from '../../webview/src/viewers/chart.tsx';

// 4 positives, 6 negatives; thresholds descending as the Evaluator writes them.
const curve: ThresholdCurve = {
  thresholds: [0.9, 0.5, 0.2, 0],
  tp: [1, 3, 4, 4],
  fp: [0, 1, 3, 6],
  tn: [6, 5, 3, 0],
  fn: [3, 1, 0, 0],
};

describe('viewers: ROC, PR and calibration plots', () => {
  it('ROC: FPR against TPR from (0, 0) to (1, 1)', () => {
    assert.deepEqual(rocPoints(curve), [
      { x: 0, y: 0, threshold: 1 },
      { x: 0, y: 0.25, threshold: 0.9 },
      { x: 1 / 6, y: 0.75, threshold: 0.5 },
      { x: 0.5, y: 1, threshold: 0.2 },
      { x: 1, y: 1, threshold: 0 },
    ]);
  });

  it('PR: recall against precision; a threshold predicting nothing positive is left out', () => {
    const none: ThresholdCurve = { thresholds: [1, ...curve.thresholds], tp: [0, ...curve.tp], fp: [0, ...curve.fp], tn: [6, ...curve.tn], fn: [4, ...curve.fn] };
    assert.deepEqual(prPoints(none), [
      { x: 0.25, y: 1, threshold: 0.9 },
      { x: 0.75, y: 0.75, threshold: 0.5 },
      { x: 1, y: 4 / 7, threshold: 0.2 },
      { x: 1, y: 0.4, threshold: 0 },
    ]);
  });

  it('marks the decision threshold, or the nearest point', () => {
    assert.equal(operatingPoint(rocPoints(curve), 0.5)?.y, 0.75);
    assert.equal(operatingPoint(rocPoints(curve), 0.3)?.threshold, 0.2);
    assert.equal(operatingPoint([], 0.5), undefined);
  });

  it('calibration: non-empty buckets only, mean prediction against observed rate', () => {
    const points = calibrationPoints([
      { lower: 0, upper: 0.1, count: 0, mean_prediction: null, mean_label: null },
      { lower: 0.1, upper: 0.2, count: 20, mean_prediction: 0.15, mean_label: 0.1 },
    ]);
    assert.deepEqual(points, [{ x: 0.15, y: 0.1, count: 20, lower: 0.1, upper: 0.2 }]);
  });

  it('calibration: the observed rate’s interval becomes an error bar (yMin, yMax)', () => {
    const points = calibrationPoints([{ lower: 0.1, upper: 0.2, count: 20, mean_prediction: 0.15, mean_label: 0.1, label_interval: [0.03, 0.3] }]);
    assert.deepEqual(points, [{ x: 0.15, y: 0.1, count: 20, lower: 0.1, upper: 0.2, yMin: 0.03, yMax: 0.3 }]);
  });

  it('the calibration chart: candidate with error bars, the baseline model, and the perfectly calibrated diagonal', () => {
    const slice: EvaluationSlice = {
      name: 'Overall',
      slice: {},
      example_count: 60,
      metrics: { calibration: 1.02 },
      calibration_buckets: [
        { lower: 0, upper: 0.5, count: 30, mean_prediction: 0.2, mean_label: 0.25, label_interval: [0.12, 0.43] },
        { lower: 0.5, upper: 1, count: 30, mean_prediction: 0.8, mean_label: 0.7, label_interval: [0.52, 0.83] },
        { lower: 0.9, upper: 1, count: 0, mean_prediction: null, mean_label: null, label_interval: [null, null] },
      ],
      baseline_calibration_buckets: [{ lower: 0, upper: 1, count: 60, mean_prediction: 0.6, mean_label: 0.475 }],
    };
    const config = calibrationChart(slice);
    const datasets = config.data.datasets as { label: string; type?: string; data: { x: number; y: number; yMin?: number; yMax?: number }[] }[];
    assert.deepEqual(datasets.map((d) => d.label), ['candidate', 'baseline', 'perfectly calibrated']);
    assert.equal(datasets[0].type, 'scatterWithErrorBars');
    assert.deepEqual(datasets[0].data.map((p) => [p.x, p.y, p.yMin, p.yMax]), [[0.2, 0.25, 0.12, 0.43], [0.8, 0.7, 0.52, 0.83]]);
    assert.deepEqual(datasets[1].data.map((p) => [p.x, p.y]), [[0.6, 0.475]]);
    assert.deepEqual(datasets[2].data.map((p) => [p.x, p.y]), [[0, 0], [1, 1]]);
    assert.equal(errorBarCount(config), 2);
    // An evaluation written before intervals: points, no error bars, no baseline series.
    const old = calibrationChart({ ...slice, calibration_buckets: [{ lower: 0, upper: 1, count: 5, mean_prediction: 0.5, mean_label: 0.4 }], baseline_calibration_buckets: undefined });
    assert.deepEqual(old.data.datasets.map((d) => d.label), ['candidate', 'perfectly calibrated']);
    assert.equal(errorBarCount(old), 0);
  });

  it('a metric per slice: bars with their 95 % intervals as error bars, beside the baseline’s', () => {
    const slices: EvaluationSlice[] = [
      { name: 'Overall', slice: {}, example_count: 100, metrics: { auc: 0.8 }, confidence_intervals: { auc: [0.75, 0.85] }, baseline_metrics: { auc: 0.7 } },
      { name: 'hour=1', slice: { hour: 1 }, example_count: 3, metrics: { auc: null } },
      { name: 'hour=2', slice: { hour: 2 }, example_count: 40, metrics: { auc: 0.6 }, confidence_intervals: { auc: [null, null] } },
    ];
    assert.deepEqual(barsWithIntervals(slices, 'auc'), [
      { label: 'Overall', x: 0.8, xMin: 0.75, xMax: 0.85 },
      { label: 'hour=2', x: 0.6 },
    ]);
    const config = sliceMetricChart(slices, 'auc', true);
    assert.equal(config.type as string, 'barWithErrorBars');
    assert.deepEqual(config.data.labels, ['Overall', 'hour=2']);
    assert.deepEqual(config.data.datasets[0].data, [{ y: 'Overall', x: 0.8, xMin: 0.75, xMax: 0.85 }, { y: 'hour=2', x: 0.6 }]);
    assert.deepEqual((config.data.datasets[1].data as { x: number }[]).map((p) => p.x), [0.7, NaN]);
    assert.equal(errorBarCount(config), 1);
  });
});

describe('viewers: candidate against the baseline', () => {
  const slice: EvaluationSlice = {
    name: 'Overall',
    slice: {},
    example_count: 100,
    metrics: { example_count: 100, auc: 0.8, log_loss: 0.5, accuracy: 0.7, mean_label: 0.3, recall: null },
    confidence_intervals: { auc: [0.75, 0.85], accuracy: [0.6, 0.8] },
    baseline_metrics: { example_count: 100, auc: 0.7, log_loss: 0.4, accuracy: 0.7, mean_label: 0.3, recall: 0.5 },
  };

  it('gives each metric its delta, relative delta and a verdict by the metric direction', () => {
    const rows = Object.fromEntries(baselineComparison(slice).map((r) => [r.metric, r]));
    assert.deepEqual(Object.keys(rows), ['auc', 'log_loss', 'accuracy', 'mean_label', 'recall'], 'example_count is not a metric');
    assert.ok(Math.abs(rows.auc.delta! - 0.1) < 1e-12);
    assert.ok(Math.abs(rows.auc.relative! - 0.1 / 0.7) < 1e-12);
    assert.equal(rows.auc.verdict, 'better');
    assert.equal(rows.log_loss.verdict, 'worse', 'a higher log loss is worse');
    assert.equal(rows.accuracy.verdict, 'same');
    assert.equal(rows.mean_label.verdict, undefined, 'describes the data: no direction');
    assert.equal(rows.recall.delta, null, 'the candidate has no recall on this slice');
  });

  it('says whether the baseline lies outside the candidate interval', () => {
    const rows = Object.fromEntries(baselineComparison(slice).map((r) => [r.metric, r]));
    assert.equal(rows.auc.significant, true, '0.7 is below [0.75, 0.85]');
    assert.equal(rows.accuracy.significant, false);
    assert.equal(rows.log_loss.significant, undefined, 'no interval');
    assert.deepEqual(baselineComparison({ ...slice, baseline_metrics: undefined }), []);
    assert.equal(metricDirection('rmse'), 'lower');
    assert.equal(metricDirection('auc_pr'), 'higher');
    assert.equal(metricDirection('val_loss'), 'lower');
    assert.equal(metricDirection('eval_acc'), 'higher');
    assert.equal(metricDirection('mean_prediction'), undefined);
  });
});
