import assert from 'node:assert/strict';
import type { ExecutionRecord, StoreData } from '../../runtime/src/core/metadata-types.ts';
import { emptyStore } from '../../runtime/src/core/metadata-types.ts';
import { formatRunTime, runLabels } from '../../runtime/src/metadata/run-labels.ts';

/** Runs of two pipelines; each run one trainer execution with these params and code hash. */
function store(runs: { id: string; pipeline: string; at: string; params: Record<string, unknown>; code?: string }[]): StoreData {
  const d = emptyStore();
  runs.forEach((r, i) => {
    d.contexts.push({ id: i + 1, type: 'pipeline_run', name: r.id, properties: { pipeline: r.pipeline, state: 'COMPLETE', startedAt: r.at } } as StoreData['contexts'][number]);
    const e: ExecutionRecord = { id: i + 1, component: 'Trainer', componentVersion: '1', nodeId: 'trainer', runId: r.id, state: 'COMPLETE', params: r.params, cacheKey: `k${i}`, startedAt: r.at, pid: 1, logFile: '', properties: r.code ? { contentHashes: { module_file: r.code } } : {} };
    d.executions.push(e);
  });
  return d;
}

describe('run labels', () => {
  it('name the pipeline, the start time and what changed since its previous run', () => {
    const labels = runLabels(
      store([
        { id: 'r1', pipeline: 'taxi', at: '2026-12-06T08:10:00.000Z', params: { epochs: 8, batch_size: 256 }, code: 'h1' },
        { id: 'o1', pipeline: 'other', at: '2026-12-06T08:11:00.000Z', params: { epochs: 1 } },
        { id: 'r2', pipeline: 'taxi', at: '2026-12-06T08:20:00.000Z', params: { epochs: 12, batch_size: 256 }, code: 'h1' },
        { id: 'r3', pipeline: 'taxi', at: '2026-12-06T08:30:00.000Z', params: { epochs: 12, batch_size: 256 }, code: 'h2' },
        { id: 'r4', pipeline: 'taxi', at: '2026-12-06T08:40:00.000Z', params: { epochs: 12, batch_size: 256 }, code: 'h2' },
        { id: 'r5', pipeline: 'taxi', at: '2026-12-06T08:50:00.000Z', params: { epochs: 3, batch_size: 64, learning_rate: 0.1 }, code: 'h3' },
      ]),
      { complete: true },
    );
    const time = formatRunTime('2026-12-06T08:20:00.000Z');
    assert.match(time, /^Dec \d{1,2} \d\d:\d\d$/);
    assert.equal(labels.get('r1')!.changes, 'first run');
    assert.equal(labels.get('o1')!.changes, 'first run', 'another pipeline in the same store is not compared with taxi');
    assert.equal(labels.get('r2')!.text, `taxi · ${time} · trainer.epochs 8→12`);
    assert.equal(labels.get('r3')!.changes, 'trainer code edited');
    assert.equal(labels.get('r4')!.changes, 'no changes');
    assert.equal(labels.get('r5')!.changes, 'trainer.batch_size 256→64, trainer.epochs 12→3, +2 more');
  });

  it('without the whole history, the oldest run of the view gets no change part', () => {
    const labels = runLabels(store([{ id: 'r7', pipeline: 'taxi', at: '2026-12-06T08:10:00.000Z', params: {} }]));
    assert.equal(labels.get('r7')!.changes, undefined);
    assert.equal(labels.get('r7')!.text, `taxi · ${formatRunTime('2026-12-06T08:10:00.000Z')}`);
  });
});
