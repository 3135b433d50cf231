import assert from 'node:assert/strict';
import { HyperLogLog } from '../../runtime/src/sketches/hyperloglog.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

describe('HyperLogLog', () => {
  const precision = 14;
  // Documented standard error 1.04/√m; allow 3σ.
  const bound = (3 * 1.04) / Math.sqrt(2 ** precision);

  for (const distinct of [10, 1_000, 20_000, 200_000, 1_000_000]) {
    it(`estimates ${distinct} distinct numbers within 3σ (with repeats)`, () => {
      const r = mulberry32(distinct);
      const h = new HyperLogLog(precision);
      const exact = new Set<number>();
      for (let i = 0; i < distinct * 2; i++) {
        const v = Math.floor(r() * distinct) * 0.37 + 1e6;
        exact.add(v);
        h.addNumber(v);
      }
      const rel = Math.abs(h.estimate() - exact.size) / exact.size;
      assert.ok(rel <= bound, `relative error ${rel} > ${bound}`);
    });
  }

  it('estimates distinct strings within 3σ', () => {
    const h = new HyperLogLog(precision);
    const n = 100_000;
    for (let i = 0; i < n; i++) h.addString(`user-${i}@example.com`);
    assert.ok(Math.abs(h.estimate() - n) / n <= bound);
  });

  it('merge(a, b) equals the sketch of a ∪ b exactly, and survives structured cloning', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    const both = new HyperLogLog();
    for (let i = 0; i < 50_000; i++) {
      (i % 3 ? a : b).addNumber(i);
      both.addNumber(i);
    }
    const merged = HyperLogLog.fromState(structuredClone(a.toState())).merge(b);
    assert.deepEqual(merged.registers, both.registers);
  });

  it('treats -0 and 0 as one value', () => {
    const h = new HyperLogLog();
    h.addNumber(0);
    h.addNumber(-0);
    assert.equal(Math.round(h.estimate()), 1);
  });
});
