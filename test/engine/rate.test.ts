import assert from 'node:assert/strict';
import { describeRate, RateMeter } from '../../runtime/src/util/rate.ts';
import { progressPrinter } from '../../runtime/src/cli/progress.ts';
import { progressRate } from '../../webview/src/canvas/PipelineNode.tsx';

describe('progress with a rate and an ETA (long nodes: Evaluator, BulkInferrer)', () => {
  it('RateMeter: no rate before the first unit, then units/s and the time left from the rate so far', async () => {
    const meter = new RateMeter('rows', 1000);
    assert.deepEqual(meter.at(0), { done: 0, unit: 'rows', total: 1000 });
    await new Promise((r) => setTimeout(r, 50));
    const p = meter.at(250);
    assert.ok(p.perSecond! > 0 && p.perSecond! <= 250 / 0.05 + 1, String(p.perSecond));
    // 750 rows left at the rate of 250 rows so far: three times the time so far.
    assert.ok(p.etaMs! >= 3 * 50 - 5 && p.etaMs! < 3 * 2000, String(p.etaMs));
    assert.equal(new RateMeter('rows').at(10).etaMs, undefined);
  });

  it('the CLI prints the rate and ETA with the counts; the canvas badge shows them', () => {
    assert.equal(describeRate({ unit: 'rows', perSecond: 52_300, etaMs: 65_000 }), '52,300 rows/s, ETA 1m 05s');
    assert.equal(describeRate({ unit: 'rows' }), '');
    const lines: string[] = [];
    progressPrinter((l) => lines.push(l), false)({ type: 'progress', nodeId: 'evaluator', done: 100_000, total: 400_000, unit: 'rows', perSecond: 50_000, etaMs: 6000 });
    assert.deepEqual(lines, ['  evaluator: 100,000/400,000 rows (50,000 rows/s, ETA 6 s)']);
    assert.equal(progressRate({ unit: 'rows', perSecond: 52_300, etaMs: 65_000 }), '52k rows/s · ETA 1m 05s');
    assert.equal(progressRate({ unit: 'shards' }), '');
  });
});
