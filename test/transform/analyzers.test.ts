import assert from 'node:assert/strict';
import type { AnalyzerRecord, Analyzers, TransformedColumns } from '../../runtime/src/ml/api.ts';
import { mulberry32 as rng } from '../../runtime/src/util/prng.ts';
import { createAnalyzers, finalizePartial, mergePartialRecords, type PartialRecord } from '../../runtime/src/ml/analyzers.ts';

type Fn = (tft: Analyzers, shard: number[] | string[]) => TransformedColumns;

/** The Transform protocol by hand: accumulate per shard, merge in order, finalize, then apply. */
function analyze(shards: (number[] | string[])[], fn: Fn): AnalyzerRecord[] {
  const partials: PartialRecord[][] = shards.map((s) => {
    const session = createAnalyzers({ mode: 'accumulate', partials: [] });
    fn(session.tft, s);
    // Partials cross a thread boundary in the real executor: clone them the same way.
    return structuredClone(session.partials());
  });
  return mergePartialRecords(partials).map(finalizePartial);
}

function apply(results: AnalyzerRecord[], values: number[] | string[], fn: Fn): TransformedColumns {
  const session = createAnalyzers({ mode: 'apply', results });
  const out = fn(session.tft, values);
  session.finish();
  return out;
}

const f64 = (v: number[] | string[]) => Float64Array.from(v as number[]);
const split = <T>(v: T[], parts: number): T[][] => {
  const size = Math.ceil(v.length / parts);
  return Array.from({ length: parts }, (_, i) => v.slice(i * size, (i + 1) * size));
};

describe('Transform analyzers', () => {
  const r = rng(7);
  const values = Array.from({ length: 5000 }, () => 50 + 20 * (r() + r() + r() - 1.5));

  it('scale_to_z_score uses the full-pass mean and population std', () => {
    const fn: Fn = (tft, s) => ({ z: tft.scale_to_z_score(f64(s)) });
    const results = analyze(split(values, 4), fn);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const res = results[0].result as { mean: number; std: number; count: number };
    assert.equal(res.count, values.length);
    assert.ok(Math.abs(res.mean - mean) < 1e-9, `${res.mean} vs ${mean}`);
    assert.ok(Math.abs(res.std - std) < 1e-9, `${res.std} vs ${std}`);
    const z = apply(results, [mean + 2 * std, mean], fn).z;
    assert.ok(Math.abs(z[0] - 2) < 1e-6 && Math.abs(z[1]) < 1e-6);
  });

  it('scale_to_z_score of a constant column gives x - mean; scale_to_0_1 of one gives 0.5', () => {
    const fn: Fn = (tft, s) => ({ z: tft.scale_to_z_score(f64(s)), u: tft.scale_to_0_1(f64(s)) });
    const results = analyze([[3, 3], [3]], fn);
    const out = apply(results, [3, 4], fn);
    assert.deepEqual([...out.z], [0, 1]);
    assert.deepEqual([...out.u], [0.5, 0.5]);
  });

  it('scale_to_0_1 and scale_by_min_max use the training min and max', () => {
    const fn: Fn = (tft, s) => ({ u: tft.scale_to_0_1(f64(s)), m: tft.scale_by_min_max(f64(s), -1, 1) });
    const results = analyze(split(values, 3), fn);
    const min = Math.min(...values);
    const max = Math.max(...values);
    assert.deepEqual(results[0].result, { min, max, count: values.length });
    const out = apply(results, [min, max, (min + max) / 2, max + (max - min)], fn);
    assert.deepEqual([...out.u], [0, 1, 0.5, 2]);
    assert.deepEqual([...out.m], [-1, 1, 0, 3]);
  });

  it('mean, min and max analyzers return full-pass scalars', () => {
    const seen: number[] = [];
    const fn: Fn = (tft, s) => {
      seen.push(tft.mean(f64(s)), tft.min(f64(s)), tft.max(f64(s)));
      return {};
    };
    const results = analyze([[1, 2], [3, 10]], fn);
    seen.length = 0;
    apply(results, [0], fn);
    assert.deepEqual(seen, [4, 1, 10]);
  });

  describe('compute_and_apply_vocabulary', () => {
    // counts: c×5, a×3, b×3, e×3, d×1, f×2
    const data = 'c c a b c e a b c e a c b e d f f'.split(' ');
    /** Independent expectation: count desc, then value desc (ASCII here, so byte order = code order). */
    const expectedOrder = (words: string[], topK?: number, threshold = 0) => {
      const counts = new Map<string, number>();
      for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
      return [...counts]
        .filter(([, c]) => c >= threshold)
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0))
        .map(([w]) => w)
        .slice(0, topK);
    };

    it('orders by frequency, ties by value descending, and maps values to ids', () => {
      const fn: Fn = (tft, s) => ({ id: tft.compute_and_apply_vocabulary(s as string[]) });
      const results = analyze(split(data, 3), fn);
      const vocab = (results[0].result as { vocabulary: string[] }).vocabulary;
      assert.deepEqual(vocab, expectedOrder(data));
      assert.deepEqual(vocab.slice(0, 4), ['c', 'e', 'b', 'a']); // the tie rule, spelled out
      const out = apply(results, ['a', 'c', 'zzz'], fn);
      assert.deepEqual([...out.id], [vocab.indexOf('a'), 0, -1]);
    });

    it('top_k and frequency_threshold cut the vocabulary; OOV values hash into num_oov_buckets extra ids', () => {
      const fn: Fn = (tft, s) => ({
        top: tft.compute_and_apply_vocabulary(s as string[], { top_k: 3, num_oov_buckets: 4 }),
        thr: tft.compute_and_apply_vocabulary(s as string[], { frequency_threshold: 3, default_value: 99 }),
      });
      const results = analyze(split(data, 2), fn);
      assert.deepEqual((results[0].result as { vocabulary: string[] }).vocabulary, expectedOrder(data, 3));
      assert.deepEqual((results[1].result as { vocabulary: string[] }).vocabulary, expectedOrder(data, undefined, 3));
      const probe = ['c', 'e', 'b', 'a', 'd', 'f', 'never-seen', 'a'];
      const out = apply(results, probe, fn);
      assert.deepEqual([...out.top.slice(0, 3)], [0, 1, 2]);
      for (let i = 3; i < probe.length; i++) assert.ok(out.top[i] >= 3 && out.top[i] < 7, `OOV id ${out.top[i]}`);
      assert.equal(out.top[3], out.top[7], 'the same OOV value always gets the same bucket');
      assert.deepEqual([...out.thr], [0, 1, 2, 3, 99, 99, 99, 3]);
    });

    it('numeric values are keyed by their decimal string', () => {
      const fn: Fn = (tft, s) => ({ id: tft.compute_and_apply_vocabulary(f64(s)) });
      const results = analyze([[17031080300, 7, 7], [7]], fn);
      assert.deepEqual((results[0].result as { vocabulary: string[] }).vocabulary, ['7', '17031080300']);
    });
  });

  it('bucketize: boundaries are the training quantiles within the sketch tolerance, ids follow apply_buckets', () => {
    const big = Array.from({ length: 40_000 }, () => Math.exp(3 * r()));
    const fn: Fn = (tft, s) => ({ b: tft.bucketize(f64(s), 10, { epsilon: 0.01 }) });
    const results = analyze(split(big, 5), fn);
    const boundaries = (results[0].result as { boundaries: number[] }).boundaries;
    assert.equal(boundaries.length, 9);
    const sorted = [...big].sort((a, b) => a - b);
    boundaries.forEach((b, i) => {
      const rank = sorted.findIndex((v) => v >= b) / sorted.length;
      assert.ok(Math.abs(rank - (i + 1) / 10) <= 0.01, `boundary ${i}: rank ${rank}`);
    });
    const out = apply(results, [-1, boundaries[0], boundaries[0] - 1e-9, boundaries[8], 1e9], fn);
    assert.deepEqual([...out.b], [0, 1, 0, 9, 9]);
    // Every bucket holds about a tenth of the data.
    const counts = new Array(10).fill(0);
    for (const id of apply(results, big, fn).b) counts[id]++;
    for (const c of counts) assert.ok(Math.abs(c / big.length - 0.1) <= 0.02, `bucket share ${c / big.length}`);
  });

  it('hash_strings is FNV-1a 32 of the UTF-8 bytes modulo hash_buckets (stable across runs)', () => {
    // Published FNV-1a 32-bit test vectors.
    const vectors: [string, number][] = [
      ['', 0x811c9dc5],
      ['a', 0xe40c292c],
      ['foobar', 0xbf9cf968],
    ];
    const session = createAnalyzers({ mode: 'apply', results: [] });
    for (const [s, h] of vectors) assert.equal(session.tft.hash_strings([s], 1000)[0], h % 1000, s);
    // Non-ASCII: compare with an independent byte-wise implementation.
    const fnv = (s: string) => {
      let h = 0x811c9dc5;
      for (const byte of Buffer.from(s, 'utf8')) h = Number((BigInt(h ^ byte) * 16777619n) & 0xffffffffn);
      return h >>> 0;
    };
    for (const s of ['Zürich', '北京', '🚕 cab']) assert.equal(session.tft.hash_strings([s], 97)[0], fnv(s) % 97, s);
  });

  it('categorical_identity keeps ids in range and maps others to default_value; apply_buckets needs sorted boundaries', () => {
    const { tft } = createAnalyzers({ mode: 'apply', results: [] });
    assert.deepEqual([...tft.categorical_identity(Float64Array.from([0, 5, 23, 24, -1, 2.5]), 24, 1)], [0, 5, 23, 1, 1, 1]);
    assert.deepEqual([...tft.apply_buckets(Float64Array.from([0, 1, 1.5, 3]), [1, 2])], [0, 1, 1, 2]);
    assert.throws(() => tft.apply_buckets(Float64Array.from([0]), [2, 1]), /sorted/);
  });

  it('missing values must be filled explicitly', () => {
    const { tft } = createAnalyzers({ mode: 'accumulate', partials: [] });
    assert.throws(() => tft.scale_to_z_score(Float64Array.from([1, NaN])), (e: Error) => e.name === 'UserError' && /row 1 is missing.*fill_in_missing/.test(e.message));
    assert.throws(() => tft.compute_and_apply_vocabulary(['a', null] as string[]), /row 1 is missing \(null\)/);
    assert.deepEqual([...tft.fill_in_missing(Float64Array.from([1, NaN]), -5)], [1, -5]);
    assert.deepEqual(tft.fill_in_missing(['a', null], 'none'), ['a', 'none']);
  });

  it('rejects an analyzer fed with another analyzer’s placeholder, and a changed call sequence', () => {
    const { tft } = createAnalyzers({ mode: 'accumulate', partials: [] });
    const z = tft.scale_to_z_score(Float64Array.from([1, 2]));
    assert.throws(() => tft.scale_to_0_1(z), /output of another analyzer/);
    const fnA: Fn = (t, s) => ({ a: t.scale_to_z_score(f64(s)) });
    const fnB: Fn = (t, s) => ({ a: t.scale_to_0_1(f64(s)) });
    const results = analyze([[1, 2]], fnA);
    assert.throws(() => apply(results, [1], fnB), /analyzer call #1 is tft.scale_to_0_1.*recorded tft.scale_to_z_score/);
    assert.throws(() => apply(results, [1], () => ({})), /made 0 analyzer calls.*recorded 1/);
  });

  it('merging shard partials equals one pass over all rows', () => {
    const words = values.map((v) => `w${Math.round(v / 5)}`);
    const fn: Fn = (tft, s) => {
      const x = f64(s);
      const w = Array.from(x, (v) => `w${Math.round(v / 5)}`);
      return { z: tft.scale_to_z_score(x), u: tft.scale_to_0_1(x), v: tft.compute_and_apply_vocabulary(w, { top_k: 5 }) };
    };
    assert.ok(words.length > 0);
    const one = analyze([values], fn);
    const many = analyze(split(values, 7), fn);
    const z1 = one[0].result as { mean: number; std: number };
    const z7 = many[0].result as { mean: number; std: number };
    assert.ok(Math.abs(z1.mean - z7.mean) < 1e-9 && Math.abs(z1.std - z7.std) < 1e-9);
    assert.deepEqual(many[1].result, one[1].result);
    assert.deepEqual(many[2].result, one[2].result);
  });
});
