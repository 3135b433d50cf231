/**
 * The evaluation viewer's plots and baseline table, shaped from evaluation.json (TFMA's ROC, PR
 * and calibration plots): pure functions, unit-tested under plain Node
 * (test/webview/evaluation-plots.test.ts).
 */
import type { CalibrationBucket, EvaluationSlice, ThresholdCurve } from './viewer-payload.ts';

export interface CurvePoint {
  x: number;
  y: number;
  /** Scores ≥ this are predicted positive at this point. */
  threshold: number;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : undefined);

/** ROC: false positive rate against true positive rate, from (0, 0) up to (1, 1) at threshold 0. */
export function rocPoints(curve: ThresholdCurve): CurvePoint[] {
  const out: CurvePoint[] = [{ x: 0, y: 0, threshold: 1 }];
  curve.thresholds.forEach((threshold, k) => {
    const x = ratio(curve.fp[k], curve.fp[k] + curve.tn[k]);
    const y = ratio(curve.tp[k], curve.tp[k] + curve.fn[k]);
    if (x !== undefined && y !== undefined) out.push({ x, y, threshold });
  });
  return out;
}

/** PR: recall against precision; thresholds that predict nothing positive have no precision and are left out. */
export function prPoints(curve: ThresholdCurve): CurvePoint[] {
  const out: CurvePoint[] = [];
  curve.thresholds.forEach((threshold, k) => {
    const x = ratio(curve.tp[k], curve.tp[k] + curve.fn[k]);
    const y = ratio(curve.tp[k], curve.tp[k] + curve.fp[k]);
    if (x !== undefined && y !== undefined) out.push({ x, y, threshold });
  });
  return out;
}

/** The point at the decision threshold (the Evaluator always writes every 0.05), else the nearest one. */
export function operatingPoint(points: CurvePoint[], threshold: number): CurvePoint | undefined {
  let best: CurvePoint | undefined;
  for (const p of points) if (!best || Math.abs(p.threshold - threshold) < Math.abs(best.threshold - threshold)) best = p;
  return best;
}

export interface CalibrationPoint {
  /** Mean prediction of the bucket. */
  x: number;
  /** Mean label (the observed positive rate). */
  y: number;
  count: number;
  lower: number;
  upper: number;
  /** The observed rate's 95 % interval (an error bar), when the Evaluator wrote one. */
  yMin?: number;
  yMax?: number;
}

/** Calibration plot: each non-empty score bucket's mean prediction against its mean label, with the label's interval. */
export function calibrationPoints(buckets: CalibrationBucket[]): CalibrationPoint[] {
  return buckets
    .filter((b) => b.count > 0 && b.mean_prediction !== null && b.mean_label !== null)
    .map((b) => {
      const [yMin, yMax] = b.label_interval ?? [null, null];
      return { x: b.mean_prediction as number, y: b.mean_label as number, count: b.count, lower: b.lower, upper: b.upper, ...(yMin !== null && yMax !== null && { yMin, yMax }) };
    });
}

/**
 * A bar per slice with its 95 % interval as an error bar (chartjs-chart-error-bars' data points:
 * `x` the value, `xMin`/`xMax` the interval, for horizontal bars); no bar where the value is missing.
 */
export function barsWithIntervals(slices: EvaluationSlice[], metric: string): { label: string; x: number; xMin?: number; xMax?: number }[] {
  return slices.flatMap((s) => {
    const value = s.metrics[metric];
    if (value === null || value === undefined || !Number.isFinite(value)) return [];
    const [xMin, xMax] = s.confidence_intervals?.[metric] ?? [null, null];
    return [{ label: s.name, x: value, ...(xMin !== null && xMax !== null && { xMin, xMax }) }];
  });
}

/**
 * Which way a metric improves; `undefined`: neither (a description of the data, such as
 * mean_label). Keras's training metrics count too, with their `val_`/`eval_` prefixes.
 */
export function metricDirection(metric: string): 'higher' | 'lower' | undefined {
  const name = metric.replace(/^(val|eval)_/, '');
  if (/^(auc|auc_pr|acc|accuracy|binary_accuracy|precision|recall|precision_macro|recall_macro|r2)$/.test(name)) return 'higher';
  if (/^(loss|log_loss|mse|rmse|mae)$/.test(name)) return 'lower';
  return undefined;
}

export interface BaselineRow {
  metric: string;
  candidate: number | null;
  /** The candidate's 95 % interval, when the Evaluator computed one. */
  interval?: [number | null, number | null];
  baseline: number | null;
  /** candidate − baseline */
  delta: number | null;
  /** delta / |baseline| */
  relative: number | null;
  /** better/worse by the metric's direction; `same` for no change; undefined when the metric has no direction. */
  verdict?: 'better' | 'worse' | 'same';
  /** True when the baseline's value lies outside the candidate's interval: a change the resampling does not explain. */
  significant?: boolean;
}

/** The slice's metrics against the baseline model's on the same rows: TFMA's "diff" view. */
export function baselineComparison(slice: EvaluationSlice): BaselineRow[] {
  if (!slice.baseline_metrics) return [];
  const rows: BaselineRow[] = [];
  for (const [metric, candidate] of Object.entries(slice.metrics)) {
    if (metric === 'example_count' || !(metric in slice.baseline_metrics)) continue;
    const baseline = slice.baseline_metrics[metric];
    const both = candidate !== null && baseline !== null && Number.isFinite(candidate) && Number.isFinite(baseline);
    const delta = both ? (candidate as number) - (baseline as number) : null;
    const relative = delta !== null && baseline !== 0 ? delta / Math.abs(baseline as number) : null;
    const direction = metricDirection(metric);
    const verdict = delta === null || !direction ? undefined : delta === 0 ? 'same' : (delta > 0) === (direction === 'higher') ? 'better' : 'worse';
    const interval = slice.confidence_intervals?.[metric];
    const significant = interval && interval[0] !== null && interval[1] !== null && baseline !== null ? baseline < interval[0] || baseline > interval[1] : undefined;
    rows.push({ metric, candidate, baseline, delta, relative, ...(interval && { interval }), ...(verdict && { verdict }), ...(significant !== undefined && { significant }) });
  }
  return rows;
}
