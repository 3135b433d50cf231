import assert from 'node:assert/strict';
import { NumberFrequencies, StringFrequencies } from '../../runtime/src/sketches/frequencies.ts';
import { mulberry32 } from '../../runtime/src/util/prng.ts';

/** A Zipf-like stream: value i has weight ∝ 1/(i+1). */
function zipf(n: number, universe: number, seed: number): number[] {
  const r = mulberry32(seed);
  const cdf: number[] = [];
  let s = 0;
  for (let i = 0; i < universe; i++) cdf.push((s += 1 / (i + 1)));
  return Array.from({ length: n }, () => {
    const x = r() * s;
    let lo = 0;
    let hi = universe - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cdf[m] < x) lo = m + 1;
      else hi = m;
    }
    return lo * 1.5;
  });
}

function exactCounts<K>(values: K[]): Map<K, number> {
  const m = new Map<K, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function checkBound(f: { get(k: any): number; total: number; maxError: number; capacity: number }, truth: Map<unknown, number>) {
  const n = f.total;
  const bound = (2 * n) / (f.capacity + 1);
  assert.ok(f.maxError <= bound, `maxError ${f.maxError} > ${bound}`);
  for (const [k, c] of truth) {
    const est = f.get(k);
    assert.ok(est <= c, `overestimate for ${String(k)}`);
    assert.ok(est >= c - bound, `count of ${String(k)}: ${est} < ${c} - ${bound}`);
    if (c > bound) assert.ok(est > 0, `heavy hitter ${String(k)} (${c}) lost`);
  }
}

describe('heavy hitters (Misra–Gries frequencies)', () => {
  const n = 200_000;
  const stream = zipf(n, 50_000, 7);
  const truth = exactCounts(stream);

  it('stays exact while distinct values fit, and refuses the value that would not', () => {
    const f = new NumberFrequencies(3);
    for (const v of [1, 2, 1, -0, 0]) assert.equal(f.add(v, 1), true);
    assert.equal(f.size, 3);
    assert.equal(f.get(0), 2);
    assert.equal(f.add(4, 1), false);
    assert.equal(f.exact, true);
    assert.deepEqual(f.top(2), { keys: [0, 1], counts: [2, 2] });
  });

  it('keeps every value above 2N/(m+1) and underestimates by at most that (numbers)', () => {
    const f = new NumberFrequencies(200);
    f.exact = false;
    for (const v of stream) f.add(v, 1);
    assert.equal(f.total, n);
    checkBound(f, truth);
    // The true top 5 are all found, in order.
    const top = [...truth.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5).map(([k]) => k);
    assert.deepEqual(f.top(5).keys, top);
  });

  it('merge of shard summaries keeps the same bound (numbers and strings)', () => {
    const shards = [0, 1, 2, 3, 4].map((i) => stream.slice((i * n) / 5, ((i + 1) * n) / 5));
    const merged = new NumberFrequencies(200);
    const mergedS = new StringFrequencies(200);
    for (const shard of shards) {
      const f = new NumberFrequencies(200);
      const g = new StringFrequencies(200);
      f.exact = false;
      g.exact = false;
      for (const v of shard) {
        f.add(v, 1);
        g.add(`v${v}`, 1);
      }
      merged.merge(NumberFrequencies.fromState(structuredClone(f.toState())));
      mergedS.merge(StringFrequencies.fromState(structuredClone(g.toState())));
    }
    assert.equal(merged.exact, false);
    assert.equal(merged.total, n);
    checkBound(merged, truth);
    checkBound(mergedS, new Map([...truth].map(([k, c]) => [`v${k}`, c])));
  });

  it('merging exact tables stays exact when the union fits', () => {
    const a = new StringFrequencies(3);
    const b = new StringFrequencies(3);
    a.add('x', 2);
    a.add('y', 1);
    b.add('y', 4);
    b.add('z', 1);
    a.merge(b);
    assert.equal(a.exact, true);
    assert.deepEqual(a.top(3), { keys: ['y', 'x', 'z'], counts: [5, 2, 1] });
    b.add('w', 1);
    a.merge(b);
    assert.equal(a.exact, false);
  });
});
