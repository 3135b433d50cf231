/**
 * Model quality metrics as pure functions over labels, predictions and optional example weights.
 *
 * Every metric takes weights so the same code computes the plain value (no weights), a weighted
 * value, and bootstrap resamples (weights = how often each row was drawn). A metric that is
 * undefined on its input (AUC with one class only, precision with no positive predictions, R²
 * with constant labels) is NaN; serialisers turn NaN into null.
 */

import { mulberry32 } from '../util/prng.ts';

export type Weights = ArrayLike<number> | undefined;

const w = (weights: Weights, i: number): number => (weights ? weights[i] : 1);

function checkLengths(labels: ArrayLike<unknown>, predictions: ArrayLike<unknown>, weights: Weights): void {
  if (labels.length !== predictions.length) {
    throw new RangeError(`labels (${labels.length}) and predictions (${predictions.length}) differ in length`);
  }
  if (weights && weights.length !== labels.length) {
    throw new RangeError(`weights (${weights.length}) and labels (${labels.length}) differ in length`);
  }
}

/** Row order by score, ascending; ties keep input order (stable sort). */
function orderByScore(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a] - scores[b] || a - b);
}

// ---------------------------------------------------------------------------------------------
// Binary classification: labels 0/1, predictions = probability of the positive class.

/**
 * Area under the ROC curve = probability that a random positive scores above a random negative,
 * ties counting one half (the Mann–Whitney U statistic), weighted.
 */
export function aucRoc(labels: ArrayLike<number>, scores: ArrayLike<number>, weights?: Weights): number {
  checkLengths(labels, scores, weights);
  const order = orderByScore(scores);
  let negBelow = 0;
  let concordant = 0;
  let pos = 0;
  let neg = 0;
  for (let g = 0; g < order.length; ) {
    // One group of tied scores: positives in it beat every negative below and half of the tied ones.
    let h = g;
    let groupPos = 0;
    let groupNeg = 0;
    while (h < order.length && scores[order[h]] === scores[order[g]]) {
      const i = order[h];
      if (labels[i] > 0.5) groupPos += w(weights, i);
      else groupNeg += w(weights, i);
      h++;
    }
    concordant += groupPos * (negBelow + groupNeg / 2);
    negBelow += groupNeg;
    pos += groupPos;
    neg += groupNeg;
    g = h;
  }
  return pos > 0 && neg > 0 ? concordant / (pos * neg) : NaN;
}

/**
 * Area under the precision–recall curve as average precision: Σ (Rₖ − Rₖ₋₁)·Pₖ over descending
 * score thresholds, a tie group forming one threshold (scikit-learn's definition; no
 * interpolation, so it never overstates the area).
 */
export function aucPr(labels: ArrayLike<number>, scores: ArrayLike<number>, weights?: Weights): number {
  checkLengths(labels, scores, weights);
  const order = orderByScore(scores);
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) totalPos += w(weights, i);
  if (totalPos <= 0) return NaN;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let area = 0;
  for (let g = order.length - 1; g >= 0; ) {
    let h = g;
    while (h >= 0 && scores[order[h]] === scores[order[g]]) {
      const i = order[h];
      if (labels[i] > 0.5) tp += w(weights, i);
      else fp += w(weights, i);
      h--;
    }
    if (tp + fp > 0) {
      const recall = tp / totalPos;
      area += (recall - prevRecall) * (tp / (tp + fp));
      prevRecall = recall;
    }
    g = h;
  }
  return area;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Weighted confusion counts with "positive" meaning score ≥ threshold. */
export function binaryConfusion(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold = 0.5, weights?: Weights): Confusion {
  checkLengths(labels, scores, weights);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const wi = w(weights, i);
    const actual = labels[i] > 0.5;
    const predicted = scores[i] >= threshold;
    if (actual && predicted) c.tp += wi;
    else if (actual) c.fn += wi;
    else if (predicted) c.fp += wi;
    else c.tn += wi;
  }
  return c;
}

const LOG_EPS = 1e-15;
const clip = (p: number) => Math.min(1 - LOG_EPS, Math.max(LOG_EPS, p));

/** Mean binary cross-entropy (natural log), probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(labels: ArrayLike<number>, scores: ArrayLike<number>, weights?: Weights): number {
  checkLengths(labels, scores, weights);
  let sum = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const wi = w(weights, i);
    const p = clip(scores[i]);
    sum -= wi * (labels[i] > 0.5 ? Math.log(p) : Math.log(1 - p));
    total += wi;
  }
  return total > 0 ? sum / total : NaN;
}

/** Calibration as TFMA defines it: mean prediction / mean label (1 = calibrated on average). */
export function calibration(labels: ArrayLike<number>, scores: ArrayLike<number>, weights?: Weights): number {
  checkLengths(labels, scores, weights);
  let sumP = 0;
  let sumY = 0;
  for (let i = 0; i < labels.length; i++) {
    sumP += w(weights, i) * scores[i];
    sumY += w(weights, i) * labels[i];
  }
  return sumY > 0 ? sumP / sumY : NaN;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

export interface BinaryMetrics {
  example_count: number;
  auc: number;
  auc_pr: number;
  accuracy: number;
  precision: number;
  recall: number;
  log_loss: number;
  calibration: number;
  mean_label: number;
  mean_prediction: number;
}

export function binaryMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, options: { threshold?: number; weights?: Weights } = {}): BinaryMetrics {
  const { threshold = 0.5, weights } = options;
  const c = binaryConfusion(labels, scores, threshold, weights);
  const n = c.tp + c.fp + c.tn + c.fn;
  let sumP = 0;
  for (let i = 0; i < scores.length; i++) sumP += w(weights, i) * scores[i];
  return {
    example_count: n,
    auc: aucRoc(labels, scores, weights),
    auc_pr: aucPr(labels, scores, weights),
    accuracy: ratio(c.tp + c.tn, n),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    log_loss: logLoss(labels, scores, weights),
    calibration: calibration(labels, scores, weights),
    mean_label: ratio(c.tp + c.fn, n),
    mean_prediction: ratio(sumP, n),
  };
}

// ---------------------------------------------------------------------------------------------
// Multiclass: labels are class indices 0..K-1, predictions are per-class probabilities.

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

/** confusion[actual][predicted], weighted. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number, weights?: Weights): number[][] {
  checkLengths(labels, predicted, weights);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i];
    const p = predicted[i];
    if (!(a >= 0 && a < numClasses && p >= 0 && p < numClasses)) {
      throw new RangeError(`row ${i}: class index out of range (label ${a}, prediction ${p}, ${numClasses} classes)`);
    }
    m[a][p] += w(weights, i);
  }
  return m;
}

export interface PerClassMetrics {
  precision: number;
  recall: number;
  /** Weighted count of rows whose label is this class. */
  support: number;
}

export interface MulticlassMetrics {
  example_count: number;
  accuracy: number;
  /** Unweighted mean over classes with support (macro average). */
  precision_macro: number;
  recall_macro: number;
  log_loss: number;
}

export interface MulticlassDetails {
  metrics: MulticlassMetrics;
  perClass: PerClassMetrics[];
  confusionMatrix: number[][];
}

export function multiclassMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>[], options: { numClasses?: number; weights?: Weights } = {}): MulticlassDetails {
  const { weights } = options;
  const k = options.numClasses ?? probabilities[0]?.length ?? 0;
  const predicted = probabilities.map(argmax);
  const cm = confusionMatrix(labels, predicted, k, weights);
  let n = 0;
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < labels.length; i++) {
    const wi = w(weights, i);
    n += wi;
    if (predicted[i] === labels[i]) correct += wi;
    loss -= wi * Math.log(clip(probabilities[i][labels[i]]));
  }
  const perClass: PerClassMetrics[] = [];
  for (let c = 0; c < k; c++) {
    let predictedAsC = 0;
    let actualC = 0;
    for (let j = 0; j < k; j++) {
      predictedAsC += cm[j][c];
      actualC += cm[c][j];
    }
    perClass.push({ precision: ratio(cm[c][c], predictedAsC), recall: ratio(cm[c][c], actualC), support: actualC });
  }
  const present = perClass.filter((p) => p.support > 0);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    metrics: {
      example_count: n,
      accuracy: ratio(correct, n),
      // A class never predicted has precision 0 here, as scikit-learn's zero_division=0.
      precision_macro: mean(present.map((p) => (Number.isNaN(p.precision) ? 0 : p.precision))),
      recall_macro: mean(present.map((p) => p.recall)),
      log_loss: ratio(loss, n),
    },
    perClass,
    confusionMatrix: cm,
  };
}

// ---------------------------------------------------------------------------------------------
// Regression.

export interface RegressionMetrics {
  example_count: number;
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  mean_label: number;
  mean_prediction: number;
}

export function regressionMetrics(labels: ArrayLike<number>, predictions: ArrayLike<number>, options: { weights?: Weights } = {}): RegressionMetrics {
  const { weights } = options;
  checkLengths(labels, predictions, weights);
  let n = 0;
  let sumY = 0;
  let sumP = 0;
  let se = 0;
  let ae = 0;
  for (let i = 0; i < labels.length; i++) {
    const wi = w(weights, i);
    const e = predictions[i] - labels[i];
    n += wi;
    sumY += wi * labels[i];
    sumP += wi * predictions[i];
    se += wi * e * e;
    ae += wi * Math.abs(e);
  }
  const meanY = ratio(sumY, n);
  let ss = 0;
  for (let i = 0; i < labels.length; i++) ss += w(weights, i) * (labels[i] - meanY) ** 2;
  const mse = ratio(se, n);
  return {
    example_count: n,
    mse,
    rmse: Math.sqrt(mse),
    mae: ratio(ae, n),
    r2: ss > 0 ? 1 - se / ss : NaN,
    mean_label: meanY,
    mean_prediction: ratio(sumP, n),
  };
}

// ---------------------------------------------------------------------------------------------
// Confidence intervals.

export type Interval = [lower: number, upper: number];

/** Wilson score interval for a proportion successes/n (good at small n and near 0 or 1). */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): Interval {
  if (!(n > 0)) return [NaN, NaN];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Percentile bootstrap: each resample draws n rows with replacement, expressed as per-row counts
 * multiplied into the base weights, and recomputes every statistic with those weights. Returns an
 * interval per statistic name (NaN resamples, e.g. a single-class draw for AUC, are dropped).
 */
export function bootstrapIntervals(
  n: number,
  statistics: (weights: Float64Array) => Record<string, number>,
  options: { resamples?: number; seed?: number; level?: number; baseWeights?: Weights } = {},
): Record<string, Interval> {
  const { resamples = 200, seed = 42, level = 0.95, baseWeights } = options;
  const random = mulberry32(seed); // seeded: intervals are reproducible run to run
  const samples = new Map<string, number[]>();
  const counts = new Float64Array(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]++;
    if (baseWeights) for (let i = 0; i < n; i++) counts[i] *= baseWeights[i];
    for (const [name, value] of Object.entries(statistics(counts))) {
      if (!Number.isFinite(value)) continue;
      let list = samples.get(name);
      if (!list) samples.set(name, (list = []));
      list.push(value);
    }
  }
  const out: Record<string, Interval> = {};
  const alpha = (1 - level) / 2;
  for (const [name, values] of samples) {
    values.sort((a, b) => a - b);
    out[name] = [quantileSorted(values, alpha), quantileSorted(values, 1 - alpha)];
  }
  return out;
}

/** Linear-interpolated quantile of sorted values. */
export function quantileSorted(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
