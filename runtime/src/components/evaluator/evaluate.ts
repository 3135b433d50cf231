/**
 * The Evaluator's pure core: labels, slices, metrics per slice with confidence intervals, and
 * threshold checks against value bounds and a baseline (TFMA's MetricThreshold semantics).
 */
import {
  binaryConfusion,
  binaryMetrics,
  bootstrapIntervals,
  type Interval,
  multiclassMetrics,
  type PerClassMetrics,
  regressionMetrics,
  wilsonInterval,
} from '../../ml/metrics.ts';
import type { Task } from '../../serving/model-source.ts';
import { UserError } from '../../core/errors.ts';
import type { RawRow } from './read-rows.ts';

export interface ChangeThreshold {
  direction: 'higher_is_better' | 'lower_is_better';
  /** higher_is_better: candidate − baseline ≥ absolute; lower_is_better: ≤ absolute. */
  absolute?: number;
  /** Same with (candidate − baseline) / |baseline|. */
  relative?: number;
}

export interface MetricThreshold {
  metric: string;
  lower_bound?: number;
  upper_bound?: number;
  change?: ChangeThreshold;
}

export type SliceKey = Record<string, string | number | null>;

export interface SliceResult {
  /** {} for the overall slice. */
  slice: SliceKey;
  /** "Overall" or "f1=a, f2=b". */
  name: string;
  example_count: number;
  metrics: Record<string, number>;
  confidence_intervals: Record<string, Interval>;
  per_class?: (PerClassMetrics & { class: string })[];
  confusion_matrix?: number[][];
}

export interface LabelledRows {
  rows: RawRow[];
  labels: number[];
  /** Rows dropped for a missing or unusable label. */
  dropped: number;
}

/**
 * Labels as numbers: binary 0/1, multiclass class index (by `classes` when given), regression
 * value. `values[i]` is row i's label; rows without a usable label are dropped.
 */
export function encodeLabels(rows: RawRow[], values: ArrayLike<unknown>, label: string, task: Task, classes?: string[]): LabelledRows {
  const kept: RawRow[] = [];
  const labels: number[] = [];
  const classIndex = classes ? new Map(classes.map((c, i) => [c, i])) : undefined;
  for (let i = 0; i < rows.length; i++) {
    const v = values[i];
    let y: number | undefined;
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) y = undefined;
    else if (task === 'multiclass' && classIndex && typeof v === 'string') y = classIndex.get(v);
    else if (task === 'binary' && typeof v === 'string') y = v === 'true' || v === '1' ? 1 : v === 'false' || v === '0' ? 0 : NaN;
    else if (typeof v === 'boolean') y = v ? 1 : 0;
    else y = Number(v);
    if (task === 'binary' && y !== undefined && y !== 0 && y !== 1) {
      throw new UserError(`Binary label "${label}" must be 0/1 or true/false, found ${JSON.stringify(v)} (row ${i + 1})`, { field: 'label' });
    }
    if (y === undefined || Number.isNaN(y)) continue;
    kept.push(rows[i]);
    labels.push(y);
  }
  return { rows: kept, labels, dropped: rows.length - kept.length };
}

function sliceName(key: SliceKey): string {
  const parts = Object.entries(key).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'Overall';
}

/** Row indices per slice: one overall slice for [], one per value combination for a feature list. */
export function sliceRows(rows: RawRow[], specs: string[][]): { key: SliceKey; indices: number[] }[] {
  const out: { key: SliceKey; indices: number[] }[] = [];
  for (const spec of specs) {
    if (spec.length === 0) {
      out.push({ key: {}, indices: rows.map((_, i) => i) });
      continue;
    }
    for (const f of spec) {
      if (rows.length && !(f in rows[0])) throw new UserError(`Slicing feature "${f}" is not a column of the examples`, { field: 'slicing_specs' });
    }
    const groups = new Map<string, { key: SliceKey; indices: number[] }>();
    rows.forEach((row, i) => {
      const values = spec.map((f) => row[f] ?? null);
      const id = JSON.stringify(values);
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { key: Object.fromEntries(spec.map((f, j) => [f, values[j]])), indices: [] }));
      g.indices.push(i);
    });
    const compare = (a: SliceKey, b: SliceKey) => {
      for (const f of spec) {
        const x = a[f];
        const y = b[f];
        if (x === y) continue;
        if (typeof x === 'number' && typeof y === 'number') return x - y;
        return String(x).localeCompare(String(y));
      }
      return 0;
    };
    out.push(...[...groups.values()].sort((a, b) => compare(a.key, b.key)));
  }
  return out;
}

export interface MetricOptions {
  task: Task;
  threshold: number;
  classes?: string[];
  numClasses?: number;
  /** Bootstrap resamples for AUC-style metrics (0: none). */
  resamples: number;
  seed: number;
  /** Slices smaller than this get counts only. */
  minSliceSize: number;
}

const pick = <T>(xs: ArrayLike<T>, idx: number[]): T[] => idx.map((i) => xs[i]);

export function sliceMetrics(key: SliceKey, labels: number[], predictions: (number | number[])[], o: MetricOptions): SliceResult {
  const result: SliceResult = { slice: key, name: sliceName(key), example_count: labels.length, metrics: { example_count: labels.length }, confidence_intervals: {} };
  if (labels.length < Math.max(1, o.minSliceSize)) return result;
  if (o.task === 'binary') {
    const scores = predictions as number[];
    result.metrics = { ...binaryMetrics(labels, scores, { threshold: o.threshold }), majority_baseline_accuracy: majorityAccuracy(labels) };
    const c = binaryConfusion(labels, scores, o.threshold);
    result.confidence_intervals.accuracy = wilsonInterval(c.tp + c.tn, labels.length);
    result.confidence_intervals.precision = wilsonInterval(c.tp, c.tp + c.fp);
    result.confidence_intervals.recall = wilsonInterval(c.tp, c.tp + c.fn);
    if (o.resamples > 0) {
      Object.assign(
        result.confidence_intervals,
        bootstrapIntervals(labels.length, (w) => {
          const m = binaryMetrics(labels, scores, { threshold: o.threshold, weights: w });
          return { auc: m.auc, auc_pr: m.auc_pr, log_loss: m.log_loss, calibration: m.calibration };
        }, { resamples: o.resamples, seed: o.seed }),
      );
    }
  } else if (o.task === 'multiclass') {
    const probs = predictions as number[][];
    const d = multiclassMetrics(labels, probs, { numClasses: o.numClasses });
    result.metrics = { ...d.metrics, majority_baseline_accuracy: majorityAccuracy(labels) };
    result.per_class = d.perClass.map((p, i) => ({ class: o.classes?.[i] ?? String(i), ...p }));
    result.confusion_matrix = d.confusionMatrix;
    result.confidence_intervals.accuracy = wilsonInterval(d.metrics.accuracy * labels.length, labels.length);
  } else {
    const preds = predictions as number[];
    result.metrics = { ...regressionMetrics(labels, preds) };
    if (o.resamples > 0) {
      Object.assign(
        result.confidence_intervals,
        bootstrapIntervals(labels.length, (w) => {
          const m = regressionMetrics(labels, preds, { weights: w });
          return { mse: m.mse, mae: m.mae, r2: m.r2 };
        }, { resamples: o.resamples, seed: o.seed }),
      );
    }
  }
  return result;
}

/** Accuracy of always predicting the slice's most frequent class: what a model must clearly beat. */
export function majorityAccuracy(labels: ArrayLike<number>): number {
  if (labels.length === 0) return NaN;
  const counts = new Map<number, number>();
  let best = 0;
  for (let i = 0; i < labels.length; i++) {
    const n = (counts.get(labels[i]) ?? 0) + 1;
    counts.set(labels[i], n);
    if (n > best) best = n;
  }
  return best / labels.length;
}

export function evaluateSlices(
  rows: RawRow[],
  labels: number[],
  predictions: (number | number[])[],
  specs: string[][],
  o: MetricOptions,
): SliceResult[] {
  return sliceRows(rows, specs).map(({ key, indices }) => sliceMetrics(key, pick(labels, indices), pick(predictions, indices), o));
}

export interface ThresholdOutcome {
  metric: string;
  slice: string;
  kind: 'lower_bound' | 'upper_bound' | 'change_absolute' | 'change_relative' | 'missing_metric' | 'no_baseline';
  passed: boolean;
  value?: number;
  bound?: number;
  baseline?: number;
  diff?: number;
  message: string;
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? String(x) : Number(x.toPrecision(6)).toString());

/**
 * Checks every threshold on the candidate's overall metrics. Without a baseline, change thresholds
 * are recorded as skipped (passed), as TFX blesses the first model when value thresholds hold.
 */
export function checkThresholds(candidate: SliceResult, baseline: SliceResult | undefined, thresholds: MetricThreshold[]): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = [];
  for (const t of thresholds) {
    const value = candidate.metrics[t.metric];
    const base = { metric: t.metric, slice: candidate.name };
    if (value === undefined || !Number.isFinite(value)) {
      out.push({ ...base, kind: 'missing_metric', passed: false, value, message: `${t.metric} is ${value === undefined ? 'not computed for this task' : 'undefined on this data'} (${candidate.name})` });
      continue;
    }
    if (t.lower_bound !== undefined) {
      const passed = value >= t.lower_bound;
      out.push({ ...base, kind: 'lower_bound', passed, value, bound: t.lower_bound, message: `${t.metric} = ${fmt(value)} ${passed ? '≥' : '<'} lower bound ${fmt(t.lower_bound)}` });
    }
    if (t.upper_bound !== undefined) {
      const passed = value <= t.upper_bound;
      out.push({ ...base, kind: 'upper_bound', passed, value, bound: t.upper_bound, message: `${t.metric} = ${fmt(value)} ${passed ? '≤' : '>'} upper bound ${fmt(t.upper_bound)}` });
    }
    if (!t.change) continue;
    const b = baseline?.metrics[t.metric];
    if (baseline === undefined) {
      out.push({ ...base, kind: 'no_baseline', passed: true, value, message: `${t.metric}: no baseline model, change threshold not applied` });
      continue;
    }
    if (b === undefined || !Number.isFinite(b)) {
      out.push({ ...base, kind: 'missing_metric', passed: false, value, message: `${t.metric}: the baseline's value is undefined, cannot compare` });
      continue;
    }
    const higher = t.change.direction === 'higher_is_better';
    const diff = value - b;
    const word = higher ? 'higher' : 'lower';
    // Neither bound given: the candidate must simply not be worse.
    const absolute = t.change.absolute ?? (t.change.relative === undefined ? 0 : undefined);
    if (absolute !== undefined) {
      const passed = higher ? diff >= absolute : diff <= absolute;
      out.push({
        ...base, kind: 'change_absolute', passed, value, baseline: b, diff, bound: absolute,
        message: `${t.metric} ${fmt(value)} vs baseline ${fmt(b)}: change ${fmt(diff)} ${passed ? 'within' : 'violates'} ${higher ? '≥' : '≤'} ${fmt(absolute)} (${word} is better)`,
      });
    }
    if (t.change.relative !== undefined) {
      const rel = b === 0 ? (diff === 0 ? 0 : Math.sign(diff) * Infinity) : diff / Math.abs(b);
      const passed = higher ? rel >= t.change.relative : rel <= t.change.relative;
      out.push({
        ...base, kind: 'change_relative', passed, value, baseline: b, diff: rel, bound: t.change.relative,
        message: `${t.metric} ${fmt(value)} vs baseline ${fmt(b)}: relative change ${fmt(rel)} ${passed ? 'within' : 'violates'} ${higher ? '≥' : '≤'} ${fmt(t.change.relative)} (${word} is better)`,
      });
    }
  }
  return out;
}
