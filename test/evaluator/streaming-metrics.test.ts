import assert from 'node:assert/strict';
import {
  addBinary,
  addMulticlass,
  addRegression,
  binaryResult,
  GRID_BUCKETS,
  mergeAcc,
  multiclassResult,
  newBinaryAcc,
  newMulticlassAcc,
  newRegressionAcc,
  regressionResult,
  type MetricAcc,
} from '../../runtime/src/components/evaluator/accumulators.ts';
import { poisson, poisson1, shardRandom } from '../../runtime/src/components/evaluator/bootstrap.ts';
import { binaryMetrics, bootstrapIntervals, multiclassMetrics, regressionMetrics } from '../../runtime/src/ml/metrics.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';
import { sliceIds } from '../../runtime/src/components/evaluator/scan.ts';

/** Rows cut into `shards` random-length shards, each folded into its own accumulator, merged in order. */
function accumulate<A extends MetricAcc>(n: number, shards: number, make: () => A, add: (acc: A, i: number, w: Uint8Array | undefined) => void, resamples = 0): A {
  const random = mulberry32(shards);
  const cuts = [0, ...Array.from({ length: shards - 1 }, () => Math.floor(random() * n)).sort((a, b) => a - b), n];
  let merged: A | undefined;
  for (let s = 0; s < shards; s++) {
    const acc = make();
    const r = shardRandom(7, s);
    const w = resamples ? new Uint8Array(resamples) : undefined;
    for (let i = cuts[s]; i < cuts[s + 1]; i++) {
      if (w) for (let k = 0; k < w.length; k++) w[k] = poisson1(r);
      add(acc, i, w);
    }
    if (merged) mergeAcc(merged, acc);
    else merged = acc;
  }
  return merged!;
}

function binaryData(n: number, seed: number, score: (z: number, r: () => number) => number) {
  const r = mulberry32(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = r() < 0.35 ? 1 : 0;
    labels.push(y);
    scores.push(score(y ? 0.8 : -0.4, r));
  }
  return { labels, scores };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

describe('Evaluator accumulators: streamed metrics equal the exact ones within the stated bound', () => {
  const cases = {
    'continuous scores': (z: number, r: () => number) => sigmoid(z + gauss(r)),
    'scores crowded into a narrow band': (z: number, r: () => number) => 0.5 + 0.001 * Math.tanh(z + gauss(r)),
    'ties and exact 0 and 1': (z: number, r: () => number) => Math.min(1, Math.max(0, Math.round((sigmoid(z + gauss(r)) - 0.1) * 8) / 6)),
  };
  for (const [name, score] of Object.entries(cases)) {
    it(`binary, ${name}: AUC-ROC and AUC-PR within their bounds, every other metric exact`, () => {
      const n = 30_000;
      const { labels, scores } = binaryData(n, name.length, score);
      const exact = binaryMetrics(labels, scores, { threshold: 0.5 });
      for (const shards of [1, 7]) {
        const acc = accumulate(n, shards, () => newBinaryAcc(0), (a, i) => addBinary(a, labels[i], scores[i], 0.5, undefined));
        const { metrics, grid_error_bounds: bounds } = binaryResult(acc, 0, mulberry32(1));
        assert.ok(Math.abs(metrics.auc - exact.auc) <= bounds!.auc + 1e-12, `auc ${metrics.auc} vs ${exact.auc}, bound ${bounds!.auc}`);
        assert.ok(Math.abs(metrics.auc_pr - exact.auc_pr) <= bounds!.auc_pr + 1e-12, `auc_pr ${metrics.auc_pr} vs ${exact.auc_pr}, bound ${bounds!.auc_pr}`);
        for (const k of ['example_count', 'accuracy', 'precision', 'recall', 'log_loss', 'calibration', 'mean_label', 'mean_prediction'] as const) {
          assert.ok(Math.abs(metrics[k] - exact[k]) <= 1e-9 * Math.max(1, Math.abs(exact[k])), `${k}: ${metrics[k]} vs ${exact[k]}`);
        }
      }
    });
  }

  it('the bound is small where scores spread out (continuous), and honest where they do not', () => {
    const spread = binaryData(30_000, 1, cases['continuous scores']);
    const crowded = binaryData(30_000, 1, cases['scores crowded into a narrow band']);
    const bound = (d: typeof spread) => binaryResult(accumulate(d.labels.length, 3, () => newBinaryAcc(0), (a, i) => addBinary(a, d.labels[i], d.scores[i], 0.5, undefined)), 0, mulberry32(1)).grid_error_bounds!;
    assert.ok(bound(spread).auc < 1e-3 && bound(spread).auc_pr < 2e-3, JSON.stringify(bound(spread)));
    // All scores within 0.002 of 0.5: about 20 buckets, so the grid cannot order most pairs — and says so.
    assert.ok(bound(crowded).auc > 0.01, JSON.stringify(bound(crowded)));
  });

  it('merging is order-stable: 1 shard or 13 give the same metrics to rounding', () => {
    const { labels, scores } = binaryData(5000, 3, cases['continuous scores']);
    const one = binaryResult(accumulate(5000, 1, () => newBinaryAcc(0), (a, i) => addBinary(a, labels[i], scores[i], 0.5, undefined)), 0, mulberry32(1)).metrics;
    const many = binaryResult(accumulate(5000, 13, () => newBinaryAcc(0), (a, i) => addBinary(a, labels[i], scores[i], 0.5, undefined)), 0, mulberry32(1)).metrics;
    for (const k of Object.keys(one)) assert.ok(Math.abs(one[k] - many[k]) < 1e-12, k);
  });

  it('multiclass: accuracy, macro precision/recall, log loss and the confusion matrix equal the exact ones', () => {
    const r = mulberry32(5);
    const n = 4000;
    const labels = Array.from({ length: n }, () => Math.floor(r() * 3));
    const probs = labels.map((y) => {
      const raw = [r(), r(), r()];
      raw[y] += 0.6;
      const s = raw[0] + raw[1] + raw[2];
      return raw.map((x) => x / s);
    });
    const exact = multiclassMetrics(labels, probs, { numClasses: 3 });
    const got = multiclassResult(accumulate(n, 5, () => newMulticlassAcc(3), (a, i) => addMulticlass(a, labels[i], probs[i])));
    for (const [k, v] of Object.entries(exact.metrics)) assert.ok(Math.abs(got.metrics[k] - v) < 1e-9, k);
    assert.deepEqual(got.confusion_matrix, exact.confusionMatrix);
  });

  it('regression: MSE, MAE, R² equal the exact ones (labels far from 0: no cancellation)', () => {
    const r = mulberry32(6);
    const n = 5000;
    const labels = Array.from({ length: n }, () => 1e6 + gauss(r));
    const preds = labels.map((y) => y + 0.3 * gauss(r));
    const exact = regressionMetrics(labels, preds);
    const got = regressionResult(accumulate(n, 9, () => newRegressionAcc(0), (a, i) => addRegression(a, labels[i], preds[i], undefined))).metrics;
    for (const k of ['mse', 'mae', 'r2', 'mean_label', 'mean_prediction'] as const) assert.ok(Math.abs(got[k] - exact[k]) <= 1e-9 * Math.max(1, Math.abs(exact[k])), `${k} ${got[k]} ${exact[k]}`);
  });

  it('Poisson bootstrap intervals contain the estimate and match the exact (multinomial) bootstrap in width', () => {
    const n = 4000;
    const { labels, scores } = binaryData(n, 9, cases['continuous scores']);
    const acc = accumulate(n, 4, () => newBinaryAcc(200), (a, i, w) => addBinary(a, labels[i], scores[i], 0.5, w), 200);
    const got = binaryResult(acc, 200, mulberry32(3));
    const exact = bootstrapIntervals(n, (w) => {
      const m = binaryMetrics(labels, scores, { weights: w });
      return { auc: m.auc, auc_pr: m.auc_pr, log_loss: m.log_loss, calibration: m.calibration };
    }, { resamples: 200 });
    for (const k of ['auc', 'auc_pr', 'log_loss', 'calibration']) {
      const [lo, hi] = got.confidence_intervals[k];
      assert.ok(lo <= got.metrics[k] && got.metrics[k] <= hi, `${k}: ${got.metrics[k]} outside [${lo}, ${hi}]`);
      const width = hi - lo;
      const exactWidth = exact[k][1] - exact[k][0];
      assert.ok(width > 0.6 * exactWidth && width < 1.6 * exactWidth, `${k}: width ${width} vs exact ${exactWidth}`);
    }
  });

  it('confusion counts at thresholds (ROC/PR curves) are the exact counts of score ≥ threshold, dense where the scores are', () => {
    const n = 3000;
    const { labels, scores } = binaryData(n, 21, cases['continuous scores']);
    const acc = accumulate(n, 3, () => newBinaryAcc(0), (a, i) => addBinary(a, labels[i], scores[i], 0.5, undefined));
    const curve = binaryResult(acc, 0, mulberry32(1)).confusion_at_thresholds!;
    assert.ok(curve.thresholds.length >= 90 && curve.thresholds.length <= 130, `${curve.thresholds.length} points`);
    for (let k = 1; k < curve.thresholds.length; k++) assert.ok(curve.thresholds[k] < curve.thresholds[k - 1], 'thresholds descend');
    curve.thresholds.forEach((t, k) => {
      let tp = 0;
      let fp = 0;
      scores.forEach((s, i) => {
        if (s >= t && labels[i]) tp++;
        else if (s >= t) fp++;
      });
      const positives = labels.filter((y) => y === 1).length;
      assert.deepEqual([curve.tp[k], curve.fp[k], curve.tn[k], curve.fn[k]], [tp, fp, n - positives - fp, positives - tp], `threshold ${t}`);
    });
    // The decision threshold and threshold 0 (everything predicted positive) are on the curve.
    assert.ok(curve.thresholds.includes(0.5));
    assert.equal(curve.thresholds.at(-1), 0);
    assert.equal(curve.tp.at(-1)! + curve.fp.at(-1)!, n);
    // Points follow the rows: no two neighbours (apart from the fixed 0.05 steps) are more than ~2 % of the rows apart.
    const gaps = curve.tp.map((tp, k) => (k ? tp + curve.fp[k] - curve.tp[k - 1] - curve.fp[k - 1] : 0));
    assert.ok(Math.max(...gaps) <= n * 0.02 + 5, `largest step ${Math.max(...gaps)} rows`);
  });

  it('Poisson samplers have the right mean and variance (small and large means)', () => {
    const r = mulberry32(11);
    for (const [lambda, draw] of [[1, () => poisson1(r)], [3, () => poisson(3, r)], [500, () => poisson(500, r)]] as const) {
      const xs = Array.from({ length: 40_000 }, draw);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
      assert.ok(Math.abs(mean - lambda) < 0.03 * lambda + 0.02, `mean ${mean} for ${lambda}`);
      assert.ok(Math.abs(variance - lambda) < 0.06 * lambda + 0.03, `variance ${variance} for ${lambda}`);
    }
    assert.equal(GRID_BUCKETS, 10_000);
  });
});

describe('Evaluator slice ids', () => {
  it('one id per distinct value (1, "1" and null apart), and per distinct combination across features', () => {
    const one = sliceIds([[1, '1', null, 1, 'null', null]], 6);
    assert.deepEqual(Array.from(one.ids), [0, 1, 2, 0, 3, 2]);
    assert.deepEqual(one.values, [[1], ['1'], [null], ['null']]);
    const two = sliceIds([[1, 1, 2, 1], ['a', 'b', 'a', 'a']], 4);
    assert.deepEqual(Array.from(two.ids), [0, 1, 2, 0]);
    assert.deepEqual(two.values, [[1, 'a'], [1, 'b'], [2, 'a']]);
    const overall = sliceIds([], 3);
    assert.deepEqual(Array.from(overall.ids), [0, 0, 0]);
    assert.deepEqual(overall.values, [[]]);
  });
});
