import assert from 'node:assert/strict';
import { checkDrift, type DriftThresholds } from '../../runtime/src/components/example-validator/drift.ts';
import type { Schema } from '../../runtime/src/formats/schema.ts';
import type { FeatureNameStatistics } from '../../runtime/src/formats/statistics.ts';
import { dataset, normalSamples, numFeature, repeat, strFeature } from '../schema-gen/stats-fixtures.ts';

const defaults: DriftThresholds = { linf: 0.1, jsd: 0.1 };

function drift(baseline: FeatureNameStatistics, current: FeatureNameStatistics, schema: Schema, thresholds = defaults) {
  return checkDrift(
    { baseline: dataset('train', 1, [baseline]), current: dataset('eval', 1, [current]), baselineLabel: 'split "train"' },
    schema,
    thresholds,
  );
}

/** JSD in bits by the entropy form, from raw counts. */
function jsdByEntropy(p: number[], q: number[]): number {
  const norm = (v: number[]) => v.map((x) => x / v.reduce((a, y) => a + y, 0));
  const H = (v: number[]) => -v.reduce((a, x) => a + (x > 0 ? x * Math.log2(x) : 0), 0);
  const [P, Q] = [norm(p), norm(q)];
  return H(P.map((x, i) => (x + Q[i]) / 2)) - (H(P) + H(Q)) / 2;
}

/** Values spread over [0, 10] with `perUnit[k]` values in [k, k+1), plus the ends 0 and 10 so both splits share a grid. */
function gridValues(perUnit: number[]): number[] {
  return [0, 10, ...perUnit.flatMap((n, k) => new Array<number>(n).fill(k + 0.5))];
}
function unitCounts(values: number[]): number[] {
  const c = new Array<number>(10).fill(0);
  for (const v of values) c[Math.min(9, Math.floor(v))]++;
  return c;
}

/** Numeric statistics with only the STANDARD histogram, so the divergence comes from it alone. */
function standardOnly(name: string, values: number[]): FeatureNameStatistics {
  const f = numFeature(name, 'FLOAT', values);
  f.numStats!.histograms = f.numStats!.histograms.filter((h) => h.type === 'STANDARD');
  return f;
}

/** A feature whose STANDARD and QUANTILES histograms are the given [low, high, count] buckets. */
function withHistograms(standard: [number, number, number][], quantiles: [number, number, number][]): FeatureNameStatistics {
  const f = numFeature('fare', 'FLOAT', [0, 1]);
  const buckets = (bs: [number, number, number][]) => bs.map(([lowValue, highValue, sampleCount]) => ({ lowValue, highValue, sampleCount }));
  f.numStats!.histograms = [
    { type: 'STANDARD', buckets: buckets(standard) },
    { type: 'QUANTILES', buckets: buckets(quantiles) },
  ];
  return f;
}

const colors: Schema = { feature: [{ name: 'color', type: 'BYTES' }] };
const fare: Schema = { feature: [{ name: 'fare', type: 'FLOAT' }] };

describe('ExampleValidator drift', () => {
  describe('categorical (L-infinity)', () => {
    const train = strFeature('color', repeat({ red: 50, green: 30, blue: 20 }));

    it('flags a shifted distribution with the distance and threshold', () => {
      const shifted = { red: 30, green: 30, blue: 40 };
      const expected = Math.max(Math.abs(50 / 100 - 30 / 100), Math.abs(30 / 100 - 30 / 100), Math.abs(20 / 100 - 40 / 100));
      const found = drift(train, strFeature('color', repeat(shifted)), colors);
      assert.deepEqual(found.map((f) => [f.feature, f.reason.type, f.severity]), [['color', 'COMPARATOR_L_INFTY_HIGH', 'ERROR']]);
      assert.match(found[0].reason.description, new RegExp(`between split "eval" and split "train" is ${expected.toFixed(4)}, above the threshold 0.1`));
    });

    it('does not flag the same distribution in a smaller sample', () => {
      assert.deepEqual(drift(train, strFeature('color', repeat({ red: 5, green: 3, blue: 2 })), colors), []);
    });

    it('takes the threshold from the schema\'s driftComparator, and JSD when asked', () => {
      const current = strFeature('color', repeat({ red: 30, green: 30, blue: 40 }));
      const lenient: Schema = { feature: [{ name: 'color', type: 'BYTES', driftComparator: { infinityNorm: { threshold: 0.25 } } }] };
      assert.deepEqual(drift(train, current, lenient), []);
      const withJsd: Schema = { feature: [{ name: 'color', type: 'BYTES', driftComparator: { infinityNorm: { threshold: 1 }, jensenShannonDivergence: { threshold: 0.01 } } }] };
      const found = drift(train, current, withJsd);
      assert.deepEqual(found.map((f) => f.reason.type), ['COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH']);
      assert.match(found[0].reason.description, new RegExp(jsdByEntropy([50, 30, 20], [30, 30, 40]).toFixed(4)));
    });
  });

  describe('numeric (Jensen-Shannon on histograms)', () => {
    const trainValues = gridValues(new Array(10).fill(10));

    it('flags a shifted distribution with the divergence computed over shared buckets', () => {
      const evalValues = gridValues([1, 1, 1, 1, 1, 19, 19, 19, 19, 19]);
      const expected = jsdByEntropy(unitCounts(trainValues), unitCounts(evalValues));
      assert.ok(expected > 0.1, `test premise: ${expected}`);
      const found = drift(standardOnly('fare', trainValues), standardOnly('fare', evalValues), fare);
      assert.deepEqual(found.map((f) => f.reason.type), ['COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH']);
      assert.match(found[0].reason.description, new RegExp(`is ${expected.toFixed(4)}, above the threshold 0.1`));
    });

    it('does not flag the same distribution', () => {
      const evalValues = gridValues(new Array(10).fill(4));
      const expected = jsdByEntropy(unitCounts(trainValues), unitCounts(evalValues));
      assert.ok(expected < 0.01, `test premise: ${expected}`);
      assert.deepEqual(drift(standardOnly('fare', trainValues), standardOnly('fare', evalValues), fare), []);
      // ... unless the schema sets a threshold below the (tiny) divergence.
      const strict: Schema = { feature: [{ name: 'fare', type: 'FLOAT', driftComparator: { jensenShannonDivergence: { threshold: expected / 2 } } }] };
      assert.equal(drift(standardOnly('fare', trainValues), standardOnly('fare', evalValues), strict).length, 1);
    });

    it('takes the lower of the STANDARD and QUANTILES estimates', () => {
      // STANDARD: the same two buckets, 9:1 vs 1:9 (JSD large). QUANTILES: 1:1 vs 2:2 (JSD 0).
      const base = withHistograms([[0, 1, 9], [1, 2, 1]], [[0, 1, 5], [1, 2, 5]]);
      const cur = withHistograms([[0, 1, 1], [1, 2, 9]], [[0, 1, 10], [1, 2, 10]]);
      assert.ok(jsdByEntropy([9, 1], [1, 9]) > 0.1);
      assert.deepEqual(drift(base, cur, fare), []);
      // Both large: the smaller one is reported.
      const cur2 = withHistograms([[0, 1, 1], [1, 2, 9]], [[0, 1, 3], [1, 2, 7]]);
      const expected = Math.min(jsdByEntropy([9, 1], [1, 9]), jsdByEntropy([5, 5], [3, 7]));
      const strict: Schema = { feature: [{ name: 'fare', type: 'FLOAT', driftComparator: { jensenShannonDivergence: { threshold: 0.01 } } }] };
      const found = drift(base, cur2, strict);
      assert.equal(found.length, 1);
      assert.match(found[0].reason.description, new RegExp(`is ${expected.toFixed(4)}, above`));
    });

    it('flags a shifted normal sample and not a fresh sample of the same normal', () => {
      const train = numFeature('fare', 'FLOAT', normalSamples(5000, 10, 2, 1));
      const same = numFeature('fare', 'FLOAT', normalSamples(5000, 10, 2, 2));
      const shifted = numFeature('fare', 'FLOAT', normalSamples(5000, 13, 2, 3));
      assert.deepEqual(drift(train, same, fare), []);
      assert.equal(drift(train, shifted, fare).length, 1);
    });
  });

  it('skips deprecated, absent and all-missing features', () => {
    const schema: Schema = {
      feature: [
        { name: 'a', type: 'FLOAT', deprecated: true },
        { name: 'b', type: 'FLOAT' },
        { name: 'c', type: 'FLOAT' },
      ],
    };
    const base = dataset('train', 3, [numFeature('a', 'FLOAT', [1, 2, 3]), numFeature('c', 'FLOAT', [1, 2, 3])]);
    const cur = dataset('eval', 3, [numFeature('a', 'FLOAT', [7, 8, 9]), numFeature('b', 'FLOAT', [7, 8, 9]), numFeature('c', 'FLOAT', [null, null, null])]);
    assert.deepEqual(checkDrift({ baseline: base, current: cur, baselineLabel: 'x' }, schema, defaults), []);
  });
});
