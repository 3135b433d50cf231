import assert from 'node:assert/strict';
import { Field, Float64, List, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { rawColumnsOf } from '../../runtime/src/components/transform/shard-io.ts';
import type { ListColumn } from '../../runtime/src/ml/api.ts';

describe('Transform reads list columns from Arrow shards', () => {
  const words = [['a'], [], ['b', 'c'], null, ['d', 'e', 'f'], ['g'], ['h', 'i'], []];
  const nums = [[1], [], [2, 3], null, [4, 5, 6], [7], [8, 9], []];
  const table = new Table({
    words: vectorFromArray(words, new List(new Field('item', new Utf8(), true))),
    nums: vectorFromArray(nums, new List(new Field('item', new Float64(), true))),
    one: vectorFromArray([1, null, 3, 4, 5, 6, 7, 8], new Float64()),
  });
  const features = [
    { name: 'words', type: 'STRING' as const, list: true },
    { name: 'nums', type: 'FLOAT' as const, list: true, valueCount: { min: 0, max: 3 } },
    { name: 'one', type: 'FLOAT' as const, list: true },
  ];
  const ragged = (c: unknown) => {
    const { values, row_splits } = c as ListColumn<ArrayLike<unknown>>;
    return Array.from({ length: row_splits.length - 1 }, (_, i) => Array.from(values).slice(row_splits[i], row_splits[i + 1]));
  };

  it('gives values and row_splits, a null list as empty, in slices too (the apply pass reads batches)', () => {
    for (const [from, to] of [[0, 8], [3, 7], [5, 8]]) {
      const { columns } = rawColumnsOf(table.slice(from, to), features, 'shard.arrow');
      assert.deepEqual(ragged(columns.words), words.slice(from, to).map((w) => w ?? []), `words ${from}-${to}`);
      assert.deepEqual(ragged(columns.nums), nums.slice(from, to).map((n) => n ?? []), `nums ${from}-${to}`);
      assert.deepEqual((columns.nums as ListColumn).value_count, { min: 0, max: 3 });
      // A scalar column read as a list feature: lists of one, a null an empty list.
      assert.deepEqual(ragged(columns.one), [[1], [], [3], [4], [5], [6], [7], [8]].slice(from, to));
    }
  });

  it('a list column read as a single value, or strings read as numbers, is an error naming the file', () => {
    assert.throws(() => rawColumnsOf(table, [{ name: 'nums', type: 'FLOAT' }], 'shard.arrow'), /Feature "nums" is a list column in shard\.arrow, but the transform graph reads it as a single value/);
    assert.throws(() => rawColumnsOf(table, [{ name: 'words', type: 'FLOAT', list: true }], 'shard.arrow'), /Feature "words" is a FLOAT list in the schema but holds strings in shard\.arrow/);
  });
});
