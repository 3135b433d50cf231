import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanEvalShard, type EvalScanArgs } from '../../runtime/src/components/evaluator/scan.ts';
import { taxiLikeColumns, writeExamples, writeModelArtifact } from '../serving/fixtures.ts';

describe('Evaluator scan: a shard in batches of rows', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'scan-batches-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the very accumulators (slices, bootstrap sums) of one pass over the whole shard', async () => {
    const rows = 5000;
    const cols = taxiLikeColumns(rows);
    // Some rows without a label: dropped in whichever batch they fall.
    const label = Float64Array.from(cols.label, (y, i) => (i % 97 === 0 ? NaN : y));
    writeExamples(join(dir, 'examples'), 'eval', { ...cols, label });
    await writeModelArtifact(join(dir, 'good'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    await writeModelArtifact(join(dir, 'weak'), { features: ['x1', 'x2'], weights: [0.3, 0.4], bias: 0 });
    const args: EvalScanArgs = {
      file: join(dir, 'examples', 'Split-eval', 'part-00000.arrow'),
      shard: 0,
      candidate: join(dir, 'good', 'bundle'),
      baseline: join(dir, 'weak', 'bundle'),
      label: 'label',
      task: 'binary',
      threshold: 0.5,
      resamples: 10,
      seed: 42,
      specs: [[], ['hour'], ['hour', 'label']],
      batchSize: 256,
    };
    const whole = await scanEvalShard({ ...args, scanBatchRows: rows });
    const batched = await scanEvalShard({ ...args, scanBatchRows: 777 });
    assert.equal(batched.rows, rows);
    assert.equal(batched.dropped, Math.ceil(rows / 97));
    const byKey = (p: typeof whole.candidate) => new Map(p.map((s) => [`${s.spec}|${JSON.stringify(s.values)}`, s.acc]));
    for (const side of ['candidate', 'baseline'] as const) {
      const a = byKey(whole[side]!);
      const b = byKey(batched[side]!);
      assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
      for (const [key, acc] of a) assert.deepEqual(b.get(key), acc, `${side} ${key}`);
    }
  });
});
