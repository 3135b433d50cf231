/**
 * Mergeable metric accumulators (TFMA's combiners): each shard folds its rows into plain,
 * structured-cloneable objects of counts and sums, partials merge by adding, and metrics come
 * out at the end. Memory is fixed per slice, whatever the number of rows.
 *
 * Binary AUC-ROC and AUC-PR come from a fixed threshold grid: GRID_BUCKETS equal-width buckets of
 * the score on [0, 1] (TFMA's default of 10 000 thresholds). Only pairs of a positive and a
 * negative in the same bucket are ordered differently from the exact computation, so every AUC
 * comes with a bound computed from the grid itself (gridAucRoc / gridAucPr). Accuracy,
 * precision, recall, log loss, calibration, the multiclass confusion matrix and the regression
 * errors are sums, exact up to floating-point rounding.
 */
import { wilsonInterval, type Interval } from '../../ml/metrics.ts';
import { mulberry32 } from '../../util/prng.ts';
import { percentileIntervals, poisson, type Random } from './bootstrap.ts';

/** Score buckets of the AUC grid: thresholds at i / GRID_BUCKETS. */
export const GRID_BUCKETS = 10_000;
/** Equal-width score buckets of the calibration plot. */
export const CALIBRATION_BUCKETS = 10;
/** About this many ROC/PR points per slice, spread evenly over the rows, plus every 0.05 of the score. */
export const CURVE_POINTS = 100;

const LOG_EPS = 1e-15;
const clip = (p: number) => Math.min(1 - LOG_EPS, Math.max(LOG_EPS, p));
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

export function gridBucket(score: number, buckets = GRID_BUCKETS): number {
  const b = Math.floor(score * buckets);
  return b < 0 || Number.isNaN(b) ? 0 : b >= buckets ? buckets - 1 : b;
}

// ---------------------------------------------------------------------------------------------
// Binary

/** Per-resample sums in `boot`, BINARY_BOOT_WIDTH per resample. */
const BINARY_BOOT_WIDTH = 4; // weight, Σ w·p, Σ w·y, Σ w·loss

export interface BinaryAcc {
  kind: 'binary';
  n: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  sumP: number;
  loss: number;
  /** Positives and negatives per grid bucket. */
  pos: Float64Array;
  neg: Float64Array;
  /** Per calibration bucket: count, Σ prediction, Σ label. */
  calibration: Float64Array;
  /** Poisson-weighted sums per resample (log loss and calibration intervals). */
  boot: Float64Array;
}

export function newBinaryAcc(resamples: number): BinaryAcc {
  return {
    kind: 'binary', n: 0, tp: 0, fp: 0, tn: 0, fn: 0, sumP: 0, loss: 0,
    pos: new Float64Array(GRID_BUCKETS),
    neg: new Float64Array(GRID_BUCKETS),
    calibration: new Float64Array(CALIBRATION_BUCKETS * 3),
    boot: new Float64Array(resamples * BINARY_BOOT_WIDTH),
  };
}

/** Adds one row: label 0/1, score = positive-class probability, `weights` its Poisson weights per resample. */
export function addBinary(acc: BinaryAcc, y: number, p: number, threshold: number, weights: Uint8Array | undefined): void {
  const positive = y > 0.5;
  const predicted = p >= threshold;
  if (positive) {
    if (predicted) acc.tp++;
    else acc.fn++;
    acc.pos[gridBucket(p)]++;
  } else {
    if (predicted) acc.fp++;
    else acc.tn++;
    acc.neg[gridBucket(p)]++;
  }
  const loss = -(positive ? Math.log(clip(p)) : Math.log(1 - clip(p)));
  acc.n++;
  acc.sumP += p;
  acc.loss += loss;
  const c = gridBucket(p, CALIBRATION_BUCKETS) * 3;
  acc.calibration[c]++;
  acc.calibration[c + 1] += p;
  acc.calibration[c + 2] += positive ? 1 : 0;
  if (weights) {
    const boot = acc.boot;
    const yy = positive ? 1 : 0;
    for (let r = 0, o = 0; r < weights.length; r++, o += BINARY_BOOT_WIDTH) {
      const w = weights[r];
      if (w === 0) continue;
      boot[o] += w;
      boot[o + 1] += w * p;
      boot[o + 2] += w * yy;
      boot[o + 3] += w * loss;
    }
  }
}

function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

export function mergeBinary(a: BinaryAcc, b: BinaryAcc): void {
  a.n += b.n;
  a.tp += b.tp;
  a.fp += b.fp;
  a.tn += b.tn;
  a.fn += b.fn;
  a.sumP += b.sumP;
  a.loss += b.loss;
  addInto(a.pos, b.pos);
  addInto(a.neg, b.neg);
  addInto(a.calibration, b.calibration);
  addInto(a.boot, b.boot);
}

/**
 * AUC-ROC on the grid: pairs in different buckets are ordered by bucket, pairs in one bucket count
 * one half (as exact ties do). `bound` ≥ |grid − exact|: half the same-bucket pairs' share,
 * Σ pos_b·neg_b / (2·P·N), which is at most half the largest share of the negatives in one bucket.
 */
export function gridAucRoc(pos: ArrayLike<number>, neg: ArrayLike<number>): { value: number; bound: number } {
  let negBelow = 0;
  let concordant = 0;
  let p = 0;
  let n = 0;
  let same = 0;
  for (let b = 0; b < pos.length; b++) {
    concordant += pos[b] * (negBelow + neg[b] / 2);
    same += pos[b] * neg[b];
    negBelow += neg[b];
    p += pos[b];
    n += neg[b];
  }
  if (!(p > 0 && n > 0)) return { value: NaN, bound: NaN };
  return { value: concordant / (p * n), bound: same / (2 * p * n) };
}

/**
 * AUC-PR as average precision with one threshold per grid bucket (the exact version has one per
 * distinct score). Inside bucket b the exact curve's precision stays between the precision with
 * all of the bucket's positives first and with all its negatives first, so `bound` =
 * Σ_b Δrecall_b · (P_max,b − P_min,b) ≥ |grid − exact|.
 */
export function gridAucPr(pos: ArrayLike<number>, neg: ArrayLike<number>): { value: number; bound: number } {
  let total = 0;
  for (let b = 0; b < pos.length; b++) total += pos[b];
  if (!(total > 0)) return { value: NaN, bound: NaN };
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let area = 0;
  let bound = 0;
  for (let b = pos.length - 1; b >= 0; b--) {
    if (pos[b] === 0 && neg[b] === 0) continue;
    const tp0 = tp;
    const fp0 = fp;
    tp += pos[b];
    fp += neg[b];
    const recall = tp / total;
    const step = recall - prevRecall;
    area += step * (tp / (tp + fp));
    if (step > 0) {
      const pMax = tp / (tp + fp0);
      const pMin = fp === 0 ? 1 : tp0 / (tp0 + fp);
      bound += step * (pMax - pMin);
    }
    prevRecall = recall;
  }
  return { value: area, bound };
}

/**
 * TFMA's confusion matrices at thresholds (its ROC and PR plots), columnar: at threshold t a row
 * is predicted positive when its score ≥ t, as for the decision threshold. Thresholds are grid
 * edges (b / GRID_BUCKETS), so every count is exact; they descend, so FPR and recall ascend.
 */
export interface ThresholdCurve {
  thresholds: number[];
  tp: number[];
  fp: number[];
  tn: number[];
  fn: number[];
}

/**
 * The confusion counts at grid edges chosen so that points are about evenly spread over the rows
 * (`points` of them: dense where the scores are), plus every 0.05, so a decision threshold such as
 * 0.5 is always on the curve, down to threshold 0 (everything positive).
 */
export function thresholdCurve(pos: ArrayLike<number>, neg: ArrayLike<number>, points = CURVE_POINTS): ThresholdCurve {
  const buckets = pos.length;
  let positives = 0;
  let negatives = 0;
  for (let b = 0; b < buckets; b++) {
    positives += pos[b];
    negatives += neg[b];
  }
  const step = (positives + negatives) / points;
  const everyTwentieth = buckets / 20;
  const curve: ThresholdCurve = { thresholds: [], tp: [], fp: [], tn: [], fn: [] };
  let tp = 0;
  let fp = 0;
  let next = step;
  for (let b = buckets - 1; b >= 0; b--) {
    tp += pos[b];
    fp += neg[b];
    const seen = tp + fp;
    const occupied = pos[b] > 0 || neg[b] > 0;
    if (b === 0 || (Number.isInteger(everyTwentieth) && b % everyTwentieth === 0) || (occupied && seen >= next)) {
      curve.thresholds.push(b / buckets);
      curve.tp.push(tp);
      curve.fp.push(fp);
      curve.tn.push(negatives - fp);
      curve.fn.push(positives - tp);
      while (step > 0 && next <= seen) next += step;
    }
  }
  return curve;
}

export interface CalibrationBucket {
  lower: number;
  upper: number;
  count: number;
  mean_prediction: number;
  mean_label: number;
  /** 95 % (Wilson) interval of the observed positive rate: the calibration plot's error bar. */
  label_interval: Interval;
}

export interface AccResult {
  metrics: Record<string, number>;
  confidence_intervals: Record<string, Interval>;
  /** |reported − exact| ≤ this, per grid-based metric. */
  grid_error_bounds?: Record<string, number>;
  calibration_buckets?: CalibrationBucket[];
  confusion_at_thresholds?: ThresholdCurve;
  per_class?: { precision: number; recall: number; support: number }[];
  confusion_matrix?: number[][];
}

export function binaryResult(acc: BinaryAcc, resamples: number, random: Random): AccResult {
  const { n, tp, fp, tn, fn } = acc;
  const auc = gridAucRoc(acc.pos, acc.neg);
  const aucPr = gridAucPr(acc.pos, acc.neg);
  const metrics: Record<string, number> = {
    example_count: n,
    auc: auc.value,
    auc_pr: aucPr.value,
    accuracy: ratio(tp + tn, n),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    log_loss: ratio(acc.loss, n),
    calibration: ratio(acc.sumP, tp + fn),
    mean_label: ratio(tp + fn, n),
    mean_prediction: ratio(acc.sumP, n),
    majority_baseline_accuracy: ratio(Math.max(tp + fn, fp + tn), n),
  };
  const confidence_intervals: Record<string, Interval> = {
    accuracy: wilsonInterval(tp + tn, n),
    precision: wilsonInterval(tp, tp + fp),
    recall: wilsonInterval(tp, tp + fn),
  };
  if (resamples > 0) Object.assign(confidence_intervals, binaryBootstrap(acc, resamples, random));
  const calibration_buckets: CalibrationBucket[] = [];
  for (let b = 0; b < CALIBRATION_BUCKETS; b++) {
    const count = acc.calibration[b * 3];
    calibration_buckets.push({
      lower: b / CALIBRATION_BUCKETS,
      upper: (b + 1) / CALIBRATION_BUCKETS,
      count,
      mean_prediction: ratio(acc.calibration[b * 3 + 1], count),
      mean_label: ratio(acc.calibration[b * 3 + 2], count),
      label_interval: wilsonInterval(acc.calibration[b * 3 + 2], count),
    });
  }
  return {
    metrics,
    confidence_intervals,
    grid_error_bounds: { auc: auc.bound, auc_pr: aucPr.bound },
    calibration_buckets,
    confusion_at_thresholds: thresholdCurve(acc.pos, acc.neg),
  };
}

/**
 * AUC intervals from the merged grid resampled bucket by bucket (Poisson(count) per bucket: the
 * same distribution as Poisson row weights); log loss and calibration from the per-row
 * Poisson-weighted sums accumulated on the shards.
 */
function binaryBootstrap(acc: BinaryAcc, resamples: number, random: Random): Record<string, Interval> {
  const samples = new Map<string, number[]>([['auc', []], ['auc_pr', []], ['log_loss', []], ['calibration', []]]);
  const occupied: number[] = [];
  for (let b = 0; b < GRID_BUCKETS; b++) if (acc.pos[b] > 0 || acc.neg[b] > 0) occupied.push(b);
  const pos = new Float64Array(occupied.length);
  const neg = new Float64Array(occupied.length);
  const width = acc.boot.length / BINARY_BOOT_WIDTH;
  for (let r = 0; r < resamples; r++) {
    occupied.forEach((b, i) => {
      pos[i] = poisson(acc.pos[b], random);
      neg[i] = poisson(acc.neg[b], random);
    });
    samples.get('auc')!.push(gridAucRoc(pos, neg).value);
    samples.get('auc_pr')!.push(gridAucPr(pos, neg).value);
    if (r < width) {
      const o = r * BINARY_BOOT_WIDTH;
      samples.get('log_loss')!.push(ratio(acc.boot[o + 3], acc.boot[o]));
      samples.get('calibration')!.push(ratio(acc.boot[o + 1], acc.boot[o + 2]));
    }
  }
  return percentileIntervals(samples);
}

// ---------------------------------------------------------------------------------------------
// Multiclass

export interface MulticlassAcc {
  kind: 'multiclass';
  classes: number;
  n: number;
  correct: number;
  loss: number;
  /** confusion[actual · classes + predicted]. */
  confusion: Float64Array;
}

export function newMulticlassAcc(classes: number): MulticlassAcc {
  return { kind: 'multiclass', classes, n: 0, correct: 0, loss: 0, confusion: new Float64Array(classes * classes) };
}

export function addMulticlass(acc: MulticlassAcc, y: number, probs: ArrayLike<number>): void {
  let best = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
  if (!(y >= 0 && y < acc.classes && best < acc.classes)) {
    throw new RangeError(`class index out of range (label ${y}, prediction ${best}, ${acc.classes} classes)`);
  }
  acc.confusion[y * acc.classes + best]++;
  acc.n++;
  if (best === y) acc.correct++;
  acc.loss -= Math.log(clip(probs[y]));
}

export function mergeMulticlass(a: MulticlassAcc, b: MulticlassAcc): void {
  a.n += b.n;
  a.correct += b.correct;
  a.loss += b.loss;
  addInto(a.confusion, b.confusion);
}

export function multiclassResult(acc: MulticlassAcc): AccResult {
  const k = acc.classes;
  const cm = Array.from({ length: k }, (_, a) => Array.from(acc.confusion.subarray(a * k, (a + 1) * k)));
  const perClass = cm.map((_, c) => {
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += cm[j][c];
      actual += cm[c][j];
    }
    return { precision: ratio(cm[c][c], predicted), recall: ratio(cm[c][c], actual), support: actual };
  });
  const present = perClass.filter((p) => p.support > 0);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : NaN);
  const majority = Math.max(0, ...perClass.map((p) => p.support));
  return {
    metrics: {
      example_count: acc.n,
      accuracy: ratio(acc.correct, acc.n),
      // A class never predicted has precision 0 here, as scikit-learn's zero_division=0.
      precision_macro: mean(present.map((p) => (Number.isNaN(p.precision) ? 0 : p.precision))),
      recall_macro: mean(present.map((p) => p.recall)),
      log_loss: ratio(acc.loss, acc.n),
      majority_baseline_accuracy: ratio(majority, acc.n),
    },
    confidence_intervals: { accuracy: wilsonInterval(acc.correct, acc.n) },
    per_class: perClass,
    confusion_matrix: cm,
  };
}

// ---------------------------------------------------------------------------------------------
// Regression

const REGRESSION_BOOT_WIDTH = 5; // weight, Σ w·y, Σ w·y², Σ w·e², Σ w·|e|

export interface RegressionAcc {
  kind: 'regression';
  n: number;
  /** Mean and sum of squared deviations of the label (Welford, merged with Chan's formula). */
  mean: number;
  m2: number;
  sumP: number;
  se: number;
  ae: number;
  boot: Float64Array;
}

export function newRegressionAcc(resamples: number): RegressionAcc {
  return { kind: 'regression', n: 0, mean: 0, m2: 0, sumP: 0, se: 0, ae: 0, boot: new Float64Array(resamples * REGRESSION_BOOT_WIDTH) };
}

export function addRegression(acc: RegressionAcc, y: number, p: number, weights: Uint8Array | undefined): void {
  acc.n++;
  const d = y - acc.mean;
  acc.mean += d / acc.n;
  acc.m2 += d * (y - acc.mean);
  const e = p - y;
  acc.sumP += p;
  acc.se += e * e;
  acc.ae += Math.abs(e);
  if (weights) {
    const boot = acc.boot;
    for (let r = 0, o = 0; r < weights.length; r++, o += REGRESSION_BOOT_WIDTH) {
      const w = weights[r];
      if (w === 0) continue;
      boot[o] += w;
      boot[o + 1] += w * y;
      boot[o + 2] += w * y * y;
      boot[o + 3] += w * e * e;
      boot[o + 4] += w * Math.abs(e);
    }
  }
}

export function mergeRegression(a: RegressionAcc, b: RegressionAcc): void {
  if (b.n === 0) return;
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  a.m2 += b.m2 + (d * d * a.n * b.n) / n;
  a.mean += (d * b.n) / n;
  a.n = n;
  a.sumP += b.sumP;
  a.se += b.se;
  a.ae += b.ae;
  addInto(a.boot, b.boot);
}

export function regressionResult(acc: RegressionAcc): AccResult {
  const mse = ratio(acc.se, acc.n);
  const metrics = {
    example_count: acc.n,
    mse,
    rmse: Math.sqrt(mse),
    mae: ratio(acc.ae, acc.n),
    r2: acc.m2 > 0 ? 1 - acc.se / acc.m2 : NaN,
    mean_label: acc.n > 0 ? acc.mean : NaN,
    mean_prediction: ratio(acc.sumP, acc.n),
  };
  const samples = new Map<string, number[]>([['mse', []], ['mae', []], ['r2', []]]);
  for (let o = 0; o < acc.boot.length; o += REGRESSION_BOOT_WIDTH) {
    const [w, sy, syy, se, ae] = acc.boot.subarray(o, o + REGRESSION_BOOT_WIDTH);
    const ss = syy - (sy * sy) / w;
    samples.get('mse')!.push(ratio(se, w));
    samples.get('mae')!.push(ratio(ae, w));
    samples.get('r2')!.push(ss > 0 ? 1 - se / ss : NaN);
  }
  return { metrics, confidence_intervals: acc.boot.length ? percentileIntervals(samples) : {} };
}

// ---------------------------------------------------------------------------------------------

export type MetricAcc = BinaryAcc | MulticlassAcc | RegressionAcc;

export type SliceValue = string | number | null;

/** One slice's accumulator as a shard returns it. */
export interface SlicePartial {
  /** Index into the slicing specs (0: the overall slice). */
  spec: number;
  values: SliceValue[];
  acc: MetricAcc;
}

export function mergeAcc(a: MetricAcc, b: MetricAcc): void {
  if (a.kind === 'binary' && b.kind === 'binary') mergeBinary(a, b);
  else if (a.kind === 'multiclass' && b.kind === 'multiclass') mergeMulticlass(a, b);
  else if (a.kind === 'regression' && b.kind === 'regression') mergeRegression(a, b);
  else throw new Error(`cannot merge a ${b.kind} accumulator into a ${a.kind} one`);
}

/** The slice's metrics; `seed` makes the grid resampling reproducible. */
export function accResult(acc: MetricAcc, resamples: number, seed: number): AccResult {
  if (acc.kind === 'binary') return binaryResult(acc, resamples, mulberry32(seed));
  if (acc.kind === 'multiclass') return multiclassResult(acc);
  return regressionResult(acc);
}
