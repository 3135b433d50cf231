import assert from 'node:assert/strict';
import { KllSketch, kllRankError } from '../../runtime/src/sketches/kll.ts';
import { quantile } from '../../runtime/src/sketches/weighted-sample.ts';
import { rankError, streams } from './helpers.ts';

const QS = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

function maxRankError(sketch: KllSketch, data: Float64Array): number {
  const sorted = data.slice().sort();
  const sample = sketch.sample();
  return Math.max(...QS.map((q) => rankError(sorted, quantile(sample, q), q)));
}

describe('KLL quantile sketch', () => {
  const n = 300_000;
  const data = streams(n);

  for (const [name, values] of Object.entries(data)) {
    it(`keeps rank error within the documented bound on ${name} data (k = 200)`, () => {
      const s = new KllSketch(200);
      s.updateMany(values);
      assert.equal(s.n, n);
      const err = maxRankError(s, values);
      assert.ok(err <= kllRankError(200), `rank error ${err} > ${kllRankError(200)}`);
    });
  }

  it('is more accurate with a larger k and within its bound (k = 100, 400)', () => {
    for (const k of [100, 400]) {
      const s = new KllSketch(k);
      s.updateMany(data.lognormal);
      const err = maxRankError(s, data.lognormal);
      assert.ok(err <= kllRankError(k), `k=${k}: rank error ${err} > ${kllRankError(k)}`);
    }
  });

  it('merge(a, b) answers like a sketch of a ∪ b, with the total weight preserved', () => {
    const all = data.normal;
    const parts = [0, 1, 2, 3].map((i) => all.subarray((i * n) / 4, ((i + 1) * n) / 4));
    const merged = new KllSketch(200);
    for (const p of parts) {
      const s = new KllSketch(200);
      s.updateMany(p);
      merged.merge(s);
    }
    assert.equal(merged.n, n);
    assert.equal(merged.sample().total, n);
    assert.ok(maxRankError(merged, all) <= kllRankError(200));
  });

  it('weighted updates (exact counts) stay within the bound', () => {
    const values = data.fewDistinct;
    const counts = new Map<number, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const s = new KllSketch(200);
    s.updateWeighted([...counts.keys()], [...counts.values()]);
    assert.equal(s.sample().total, n);
    assert.ok(maxRankError(s, values) <= kllRankError(200));
  });

  it('survives structured cloning and is deterministic', () => {
    const a = new KllSketch(200);
    a.updateMany(data.uniform);
    const b = KllSketch.fromState(structuredClone(a.toState()));
    assert.deepEqual(b.sample(), a.sample());
    const c = new KllSketch(200);
    c.updateMany(data.uniform);
    assert.deepEqual(c.toState(), a.toState());
  });

  it('ignores NaN', () => {
    const s = new KllSketch(50);
    s.updateMany([1, NaN, 2]);
    assert.equal(s.n, 2);
  });
});
