import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { warmUpCsvParser } from '../../runtime/src/components/csv-example-gen/warm-up.ts';

describe('CsvExampleGen worker warm-up', () => {
  it('parses every synthetic row in the declared kinds and leaves nothing behind', () => {
    const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('tributary-warm-up-'));
    const before = leftovers();
    const rows = warmUpCsvParser();
    // 600 rows split 2:1 by row hash: all of them land somewhere, both splits get some.
    assert.ok(rows, 'the warm-up ran (no error, no widened kinds)');
    assert.equal(rows[0] + rows[1], 600);
    assert.ok(rows[0] > 300 && rows[1] > 100, `split sizes ${rows}`);
    assert.deepEqual(leftovers(), before);
  });
});
