import assert from 'node:assert/strict';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import {
  aucPr,
  aucRoc,
  binaryMetrics,
  bootstrapIntervals,
  multiclassMetrics,
  regressionMetrics,
  wilsonInterval,
} from '../../runtime/src/ml/metrics.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

/** AUC straight from its definition: concordant pairs (ties ½) over all positive×negative pairs. */
function pairAuc(labels: number[], scores: number[], weights?: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < labels.length; j++) {
      if (labels[i] !== 1 || labels[j] !== 0) continue;
      const wij = (weights?.[i] ?? 1) * (weights?.[j] ?? 1);
      den += wij;
      num += wij * (scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0);
    }
  }
  return num / den;
}

describe('metrics: binary', () => {
  const labels = [1, 0, 1, 1, 0, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.5, 0.5, 0.3, 0.2, 0.1];

  it('AUC-ROC equals the concordant-pair count, with ties and weights', () => {
    // By hand: positives 0.9 (4 neg below), 0.7 (3), 0.5 (2 + ½ tie), 0.2 (1) → 10.5 / 16.
    close(aucRoc(labels, scores), 10.5 / 16);
    close(aucRoc(labels, scores), pairAuc(labels, scores));
    const weights = [1, 2, 0.5, 3, 1, 1, 2, 0.25];
    close(aucRoc(labels, scores, weights), pairAuc(labels, scores, weights));
    assert.ok(Number.isNaN(aucRoc([1, 1], [0.2, 0.4])), 'one class only → NaN');
  });

  it('AUC-ROC matches brute force on random data', () => {
    const rnd = mulberry32(7);
    const ls: number[] = [];
    const ss: number[] = [];
    for (let i = 0; i < 200; i++) {
      ls.push(rnd() < 0.4 ? 1 : 0);
      ss.push(Math.round(rnd() * 20) / 20); // many ties
    }
    close(aucRoc(ls, ss), pairAuc(ls, ss), 1e-12);
  });

  it('AUC-PR is average precision over descending thresholds', () => {
    // Thresholds: 0.9 → P=1,R=¼; 0.8 → P=½,R=¼; 0.7 → P=⅔,R=½; 0.5 (tie group of 1 pos + 1 neg) → P=3/5,R=¾;
    // 0.3 → P=½; 0.2 → P=4/7,R=1; 0.1 → P=½.  AP = ¼·1 + ¼·⅔ + ¼·⅗ + ¼·4/7.
    close(aucPr(labels, scores), 0.25 * (1 + 2 / 3 + 3 / 5 + 4 / 7));
  });

  it('accuracy, precision, recall, log loss, calibration at threshold 0.5', () => {
    const m = binaryMetrics(labels, scores);
    // Predicted positive (≥0.5): 0.9,0.8,0.7,0.5,0.5 → TP 3 (0.9,0.7,0.5), FP 2; FN 1 (0.2); TN 2.
    assert.equal(m.example_count, 8);
    close(m.accuracy, 5 / 8);
    close(m.precision, 3 / 5);
    close(m.recall, 3 / 4);
    const ll = -(Math.log(0.9) + Math.log(0.2) + Math.log(0.7) + Math.log(0.5) + Math.log(0.5) + Math.log(0.7) + Math.log(0.2) + Math.log(0.9)) / 8;
    close(m.log_loss, ll);
    close(m.calibration, (0.9 + 0.8 + 0.7 + 0.5 + 0.5 + 0.3 + 0.2 + 0.1) / 8 / 0.5);
    const m2 = binaryMetrics(labels, scores, { threshold: 0.75 });
    close(m2.precision, 1 / 2);
    close(m2.recall, 1 / 4);
  });
});

describe('metrics: multiclass', () => {
  it('accuracy, confusion matrix, per-class precision and recall', () => {
    const labels = [0, 0, 1, 1, 2, 2];
    const probs = [
      [0.8, 0.1, 0.1], // → 0 ✓
      [0.3, 0.6, 0.1], // → 1 ✗
      [0.2, 0.7, 0.1], // → 1 ✓
      [0.1, 0.8, 0.1], // → 1 ✓
      [0.2, 0.2, 0.6], // → 2 ✓
      [0.5, 0.2, 0.3], // → 0 ✗
    ];
    const d = multiclassMetrics(labels, probs);
    assert.deepEqual(d.confusionMatrix, [
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    close(d.metrics.accuracy, 4 / 6);
    close(d.perClass[0].precision, 1 / 2);
    close(d.perClass[0].recall, 1 / 2);
    close(d.perClass[1].precision, 2 / 3);
    close(d.perClass[1].recall, 1);
    close(d.perClass[2].precision, 1);
    close(d.perClass[2].recall, 1 / 2);
    close(d.metrics.recall_macro, (0.5 + 1 + 0.5) / 3);
    close(d.metrics.log_loss, -(Math.log(0.8) + Math.log(0.3) + Math.log(0.7) + Math.log(0.8) + Math.log(0.6) + Math.log(0.3)) / 6);
  });
});

describe('metrics: regression', () => {
  it('MSE, MAE, R²', () => {
    const y = [3, -0.5, 2, 7];
    const p = [2.5, 0, 2, 8];
    const m = regressionMetrics(y, p);
    close(m.mse, (0.25 + 0.25 + 0 + 1) / 4);
    close(m.mae, (0.5 + 0.5 + 0 + 1) / 4);
    const mean = (3 - 0.5 + 2 + 7) / 4;
    const ssTot = (3 - mean) ** 2 + (-0.5 - mean) ** 2 + (2 - mean) ** 2 + (7 - mean) ** 2;
    close(m.r2, 1 - 1.5 / ssTot);
  });
});

describe('metrics: confidence intervals', () => {
  it('Wilson interval matches the closed form', () => {
    // 8/10, z=1.96: centre (0.8 + 0.19208)/1.38416, half 1.96/1.38416·sqrt(0.016 + 0.009604).
    const z = 1.959963984540054;
    const centre = (0.8 + (z * z) / 20) / (1 + (z * z) / 10);
    const half = (z / (1 + (z * z) / 10)) * Math.sqrt(0.016 + (z * z) / 400);
    const [lo, hi] = wilsonInterval(8, 10);
    close(lo, centre - half);
    close(hi, centre + half);
    assert.ok(lo > 0.44 && lo < 0.5 && hi > 0.93 && hi < 0.95);
  });

  it('bootstrap intervals are reproducible and contain the point estimate', () => {
    const n = 300;
    const labels: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < n; i++) {
      labels.push(i % 3 === 0 ? 1 : 0);
      scores.push(((i * 37) % 101) / 100 * 0.6 + (i % 3 === 0 ? 0.3 : 0));
    }
    const stat = (wts: Float64Array) => ({ auc: aucRoc(labels, scores, wts) });
    const a = bootstrapIntervals(n, stat, { resamples: 100, seed: 1 });
    const b = bootstrapIntervals(n, stat, { resamples: 100, seed: 1 });
    assert.deepEqual(a, b);
    const point = aucRoc(labels, scores);
    assert.ok(a.auc[0] < point && point < a.auc[1], `${a.auc} should contain ${point}`);
    assert.ok(a.auc[1] - a.auc[0] < 0.2);
  });
});
