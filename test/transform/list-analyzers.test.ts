import assert from 'node:assert/strict';
import type { ListColumn } from '../../runtime/src/ml/api.ts';
import { createAnalyzers, finalizePartial, mergePartialRecords } from '../../runtime/src/ml/analyzers.ts';
import { runPreprocessing } from '../../runtime/src/ml/transform-graph.ts';

const list = <V>(values: V, splits: number[], value_count?: { min?: number; max?: number }): ListColumn<V> => ({ values, row_splits: Int32Array.from(splits), ...(value_count ? { value_count } : {}) });

describe('Transform helpers over list columns', () => {
  it('an analyzer over a list works on its values and keeps the shape; placeholders stay placeholders', () => {
    const x = list(Float64Array.from([1, 2, 3, 10]), [0, 2, 2, 4]);
    const acc = createAnalyzers({ mode: 'accumulate', partials: [] });
    const placeholder = acc.tft.scale_to_0_1(x);
    assert.throws(() => acc.tft.bucketize(placeholder, 2), /was given the output of another analyzer/);
    const results = mergePartialRecords([acc.partials().slice(0, 1)]).map(finalizePartial);
    const app = createAnalyzers({ mode: 'apply', results });
    const scaled = app.tft.scale_to_0_1(x);
    assert.deepEqual([...scaled.row_splits], [0, 2, 2, 4]);
    assert.deepEqual([...scaled.values], [0, 1 / 9, 2 / 9, 1].map(Math.fround));
    assert.deepEqual([...app.tft.list_reduce(scaled, 'sum', -1)], [Math.fround(1 / 9), -1, Math.fround(2 / 9) + 1]);
    assert.deepEqual([...app.tft.list_length(scaled)], [2, 0, 2]);
  });

  it('to_dense pads to the width given or to the schema valueCount.max, with a padding id for categorical ids', () => {
    const { tft } = createAnalyzers({ mode: 'apply', results: [] });
    const ids = tft.hash_strings(list(['a', 'b', 'c'], [0, 1, 1, 3], { min: 0, max: 2 }), 5);
    const dense = tft.to_dense(ids);
    assert.equal(dense.length, 2);
    const { described } = runPreprocessing(() => ({ d0: dense[0], d1: dense[1] }), [], { x: new Float64Array(3) });
    assert.deepEqual(described.map((d) => d.declaredSize), [6, 6]);
    assert.deepEqual([...dense[1]], [5, 5, ids.values[2]]);
    assert.deepEqual(tft.to_dense(list(['a', 'b', 'c'], [0, 1, 1, 3]), 1, '?'), [['a', '?', 'b']]);
    assert.throws(() => tft.to_dense(list(Float64Array.from([1]), [0, 1])), /give a width; the schema records no valueCount\.max/);
  });

  it('misuse is a clear error: a list as a model output, fill_in_missing on a list, bad row_splits', () => {
    const x = list(Float64Array.from([1, 2]), [0, 2]);
    assert.throws(() => runPreprocessing(() => ({ y: x as never }), [], { x }), /output "y" is a list column: .* tft\.list_length, tft\.list_reduce or tft\.to_dense/);
    const { tft } = createAnalyzers({ mode: 'apply', results: [] });
    assert.throws(() => tft.fill_in_missing(x as never), /a list column has no missing values/);
    assert.throws(() => tft.list_length(list(['a'], [0, 2])), /row_splits must start at 0 and end at values\.length \(1\)/);
    assert.throws(() => tft.list_reduce(list(['a'], [0, 1]) as never, 'sum'), /expected a numeric list column/);
  });
});
