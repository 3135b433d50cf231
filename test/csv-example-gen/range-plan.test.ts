import assert from 'node:assert/strict';
import { RANGE_COUNT_MULTIPLE, planRangeCounts } from '../../runtime/src/components/csv-example-gen/executor.ts';

describe('CsvExampleGen range plan', () => {
  it('rounds the range count up to a multiple of 4 so 2 workers get equal shares', () => {
    assert.equal(RANGE_COUNT_MULTIPLE, 4);
    // 136 MB at 16 MiB needs 9 ranges: 5 vs 4 on two workers; 12 split evenly.
    assert.deepEqual(planRangeCounts([136_184_430], 16 * 1024 * 1024), [12]);
    assert.deepEqual(planRangeCounts([64], 16), [4]); // already a multiple: unchanged
    assert.deepEqual(planRangeCounts([65], 16), [8]);
  });

  it('leaves inputs that fit one range alone and gives empty files none', () => {
    assert.deepEqual(planRangeCounts([10], 16), [1]);
    assert.deepEqual(planRangeCounts([0], 16), [0]);
    assert.deepEqual(planRangeCounts([0, 10], 16), [0, 1]);
  });

  it('gives extra ranges to the file whose ranges are largest, first file on ties', () => {
    // [1, 1, 3] (sizes 10, 10, 10 per range) → file 0 (tie) → file 1 (10 > 5) → file 2 (10 > 5).
    assert.deepEqual(planRangeCounts([10, 10, 30], 10), [2, 2, 4]);
    // [3, 1, 1] = 5 → 8: per-range sizes 10 | 7.5 | 6 of file 0 still beat 5, so it takes all three.
    assert.deepEqual(planRangeCounts([30, 5, 5], 10), [6, 1, 1]);
    assert.deepEqual(planRangeCounts([30, 5], 10), [3, 1]); // 4 already
  });
});
