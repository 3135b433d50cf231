import assert from 'node:assert/strict';
import {
  alignHistograms,
  categoricalJensenShannon,
  jensenShannonDivergence,
  linfDistance,
} from '../../runtime/src/components/example-validator/distances.ts';
import { stringValueCounts, type ValueCounts } from '../../runtime/src/components/schema-gen/feature-stats.ts';
import type { Histogram } from '../../runtime/src/formats/statistics.ts';
import { repeat, strFeature } from '../schema-gen/stats-fixtures.ts';

/** JSD = H((P+Q)/2) - (H(P)+H(Q))/2 in bits: a different formula from the KL form under test. */
function jsdByEntropy(p: number[], q: number[]): number {
  const norm = (v: number[]) => v.map((x) => x / v.reduce((a, y) => a + y, 0));
  const H = (v: number[]) => -v.reduce((a, x) => a + (x > 0 ? x * Math.log(x) : 0), 0) / Math.LN2;
  const [P, Q] = [norm(p), norm(q)];
  return H(P.map((x, i) => (x + Q[i]) / 2)) - (H(P) + H(Q)) / 2;
}

const counts = (c: Record<string, number>): ValueCounts => stringValueCounts(strFeature('f', repeat(c)))!;
const hist = (buckets: [number, number, number][], numNan?: number): Histogram => ({
  type: 'STANDARD',
  buckets: buckets.map(([lowValue, highValue, sampleCount]) => ({ lowValue, highValue, sampleCount })),
  ...(numNan !== undefined && { numNan }),
});

describe('drift distances', () => {
  describe('L-infinity', () => {
    it('is the largest difference of normalised frequencies', () => {
      const r = linfDistance(counts({ a: 50, b: 50 }), counts({ a: 160, b: 40 }))!;
      assert.ok(Math.abs(r.distance - Math.abs(50 / 100 - 160 / 200)) < 1e-12);
      assert.equal(r.exact, true);
      assert.ok(['a', 'b'].includes(r.value));
    });

    it('counts a value missing on one side as frequency 0', () => {
      const r = linfDistance(counts({ a: 10 }), counts({ a: 5, b: 15 }))!;
      assert.ok(Math.abs(r.distance - 15 / 20) < 1e-12);
      assert.equal(r.value, 'a');
      assert.equal(r.baselineFrequency, 1);
      assert.equal(r.currentFrequency, 0.25);
    });

    it('is 0 for the same distribution at different sample sizes', () => {
      assert.equal(linfDistance(counts({ a: 2, b: 6 }), counts({ a: 25, b: 75 }))!.distance, 0);
    });

    it('gives a lower bound when a side lists only its top values', () => {
      // Baseline: 100 values, only a (60) and b (30) listed; 10 unlisted, each at most 30.
      const partial: ValueCounts = { counts: new Map([['a', 60], ['b', 30]]), complete: false, minListedCount: 30, total: 100 };
      const full = counts({ a: 60, c: 40 });
      const r = linfDistance(partial, full)!;
      // b: 0.30 vs 0 (full list) = 0.30; c: anywhere in [0, 0.30] vs 0.40 -> at least 0.10.
      assert.ok(Math.abs(r.distance - 0.3) < 1e-12);
      assert.equal(r.value, 'b');
      assert.equal(r.exact, false);
    });
  });

  describe('Jensen-Shannon divergence', () => {
    it('matches the entropy form, in bits', () => {
      for (const [p, q] of [
        [[1, 1], [9, 1]],
        [[3, 0, 7], [1, 1, 1]],
        [[10, 20, 30, 40], [40, 30, 20, 10]],
      ]) {
        const jsd = jensenShannonDivergence(p, q)!;
        assert.ok(Math.abs(jsd - jsdByEntropy(p, q)) < 1e-12, `${p} vs ${q}: ${jsd}`);
      }
    });

    it('is 0 for proportional vectors and 1 for disjoint ones', () => {
      assert.equal(jensenShannonDivergence([1, 2, 3], [2, 4, 6]), 0);
      assert.equal(jensenShannonDivergence([5, 0], [0, 7]), 1);
      assert.equal(jensenShannonDivergence([0, 0], [1, 1]), undefined);
    });

    it('compares categorical frequencies over the union of values', () => {
      const jsd = categoricalJensenShannon(counts({ a: 3, b: 1 }), counts({ b: 1, c: 1 }))!;
      assert.ok(Math.abs(jsd - jsdByEntropy([3, 1, 0], [0, 1, 1])) < 1e-12);
    });
  });

  describe('histogram alignment', () => {
    it('splits buckets at the union of boundaries assuming uniform density', () => {
      const aligned = alignHistograms(hist([[0, 10, 10]]), hist([[5, 15, 10]]));
      assert.deepEqual(aligned, { baseline: [5, 5, 0, 0], current: [0, 5, 5, 0] });
      // P = (1/2, 1/2, 0), Q = (0, 1/2, 1/2), M = (1/4, 1/2, 1/4): H(M) = 1.5 bits, H(P) = H(Q) = 1.
      assert.ok(Math.abs(jensenShannonDivergence(aligned.baseline, aligned.current)! - 0.5) < 1e-12);
    });

    it('handles different bucket grids', () => {
      const aligned = alignHistograms(hist([[0, 2, 4], [2, 4, 4]]), hist([[1, 3, 8]]));
      assert.deepEqual(aligned.baseline, [2, 2, 2, 2, 0]);
      assert.deepEqual(aligned.current, [0, 4, 4, 0, 0]);
    });

    it('keeps point buckets of constant features apart and counts NaNs', () => {
      assert.equal(jensenShannonDivergence(...pair(alignHistograms(hist([[3, 3, 10]]), hist([[3, 3, 4]])))), 0);
      assert.equal(jensenShannonDivergence(...pair(alignHistograms(hist([[3, 3, 10]]), hist([[4, 4, 4]])))), 1);
      const withNan = alignHistograms(hist([[0, 1, 10]], 0), hist([[0, 1, 10]], 10));
      assert.deepEqual(withNan, { baseline: [10, 0], current: [10, 10] });
    });
  });
});

function pair(a: { baseline: number[]; current: number[] }): [number[], number[]] {
  return [a.baseline, a.current];
}
