/**
 * The Evaluator's pure core: labels, slices, metrics per slice with confidence intervals, and
 * threshold checks against value bounds and a baseline (TFMA's MetricThreshold semantics).
 */
import type { Interval, PerClassMetrics } from '../../ml/metrics.ts';
import type { Task } from '../../serving/model-source.ts';
import { UserError } from '../../core/errors.ts';
import { accResult, type CalibrationBucket, mergeAcc, type ThresholdCurve, type SlicePartial, type SliceValue } from './accumulators.ts';

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
  /** Binary: |AUC on the threshold grid − exact AUC| ≤ this, per metric (see accumulators.ts). */
  grid_error_bounds?: Record<string, number>;
  /** Binary: mean prediction against mean label per score bucket. */
  calibration_buckets?: CalibrationBucket[];
  /** Binary: confusion counts at thresholds (ROC and PR curves). */
  confusion_at_thresholds?: ThresholdCurve;
}

/**
 * One label as a number: binary 0/1, multiclass class index (by `classes` when given), regression
 * value; undefined for a missing or unusable label. `where` names the row for errors.
 */
export function encodeLabel(v: unknown, task: Task, label: string, classIndex: Map<string, number> | undefined, where: () => string): number | undefined {
  let y: number | undefined;
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return undefined;
  if (task === 'multiclass' && classIndex && typeof v === 'string') y = classIndex.get(v);
  else if (task === 'binary' && typeof v === 'string') y = v === 'true' || v === '1' ? 1 : v === 'false' || v === '0' ? 0 : NaN;
  else if (typeof v === 'boolean') y = v ? 1 : 0;
  else y = Number(v);
  if (task === 'binary' && y !== undefined && y !== 0 && y !== 1) {
    throw new UserError(`Binary label "${label}" must be 0/1 or true/false, found ${JSON.stringify(v)} (${where()})`, { field: 'label' });
  }
  return y === undefined || Number.isNaN(y) ? undefined : y;
}

export function sliceName(key: SliceKey): string {
  const parts = Object.entries(key).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'Overall';
}

/** Slices of one spec in value order: numbers numerically, everything else as text. */
function compareValues(a: SliceValue[], b: SliceValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y));
  }
  return 0;
}

export interface MetricOptions {
  task: Task;
  classes?: string[];
  /** Bootstrap resamples (0: none). */
  resamples: number;
  seed: number;
  /** Slices smaller than this get counts only. */
  minSliceSize: number;
}

/** FNV-1a of a slice's id: each slice's grid resampling gets its own reproducible stream. */
function hashString(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Per-slice accumulators merged from shard partials. Partials are merged strictly in shard order
 * (early ones wait), so floating-point sums, and hence the output, do not depend on which worker
 * finished first.
 */
export class SliceMerge {
  readonly slices = new Map<string, SlicePartial>();
  private next = 0;
  private readonly early = new Map<number, SlicePartial[]>();

  accept(index: number, partial: SlicePartial[]): void {
    this.early.set(index, partial);
    for (let p = this.early.get(this.next); p; p = this.early.get(this.next)) {
      this.early.delete(this.next++);
      for (const s of p) {
        const id = `${s.spec}|${JSON.stringify(s.values)}`;
        const into = this.slices.get(id);
        if (into) mergeAcc(into.acc, s.acc);
        else this.slices.set(id, s);
      }
    }
  }

  /** Every slice's metrics: spec by spec (the overall slice first), values in order within a spec. */
  results(specs: string[][], o: MetricOptions): SliceResult[] {
    const all = [...this.slices.entries()].sort(([, a], [, b]) => a.spec - b.spec || compareValues(a.values, b.values));
    if (!all.some(([, s]) => s.spec === 0)) return [];
    return all.map(([id, s]) => {
      const key: SliceKey = Object.fromEntries(specs[s.spec].map((f, i) => [f, s.values[i]]));
      const n = s.acc.n;
      const result: SliceResult = { slice: key, name: sliceName(key), example_count: n, metrics: { example_count: n }, confidence_intervals: {} };
      if (n < Math.max(1, o.minSliceSize)) return result;
      const r = accResult(s.acc, o.resamples, hashString(id, o.seed));
      return {
        ...result,
        metrics: r.metrics,
        confidence_intervals: r.confidence_intervals,
        ...(r.grid_error_bounds && { grid_error_bounds: r.grid_error_bounds }),
        ...(r.calibration_buckets && { calibration_buckets: r.calibration_buckets }),
        ...(r.confusion_at_thresholds && { confusion_at_thresholds: r.confusion_at_thresholds }),
        ...(r.per_class && { per_class: r.per_class.map((p, i) => ({ class: o.classes?.[i] ?? String(i), ...p })) }),
        ...(r.confusion_matrix && { confusion_matrix: r.confusion_matrix }),
      };
    });
  }
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
