import assert from 'node:assert/strict';
import { addEvent, attribute, createArtifact, createExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { previousSpanStatistics, statisticsBySpan } from '../../runtime/src/metadata/spans.ts';
import { emptyStore, type StoreData } from '../../runtime/src/core/metadata-types.ts';

/** One data run: Examples of `span` → statistics by `statsNode`; returns the statistics id. */
function dataRun(data: StoreData, pipeline: string, span: number, statsNode = 'statistics_gen', state: 'LIVE' | 'DELETED' = 'LIVE'): number {
  const p = getOrCreateContext(data, 'pipeline', pipeline);
  const exec = (nodeId: string) => createExecution(data, { component: nodeId, componentVersion: '1', nodeId, runId: `r${span}`, state: 'COMPLETE', params: {}, cacheKey: '', pid: 1, logFileFor: () => '' });
  const gen = exec('example_gen');
  const examples = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
  Object.assign(examples, { state: 'LIVE', properties: { span } });
  attribute(data, examples.id, [p]);
  addEvent(data, gen.id, examples.id, 'OUTPUT', 'examples');
  const stats = exec(statsNode);
  addEvent(data, stats.id, examples.id, 'INPUT', 'examples');
  // Statistics written before StatisticsGen recorded spans: found through the Examples' lineage.
  const out = createArtifact(data, 'ExampleStatistics', (id) => `/x/${id}`, 'f');
  out.state = state;
  attribute(data, out.id, [p]);
  addEvent(data, stats.id, out.id, 'OUTPUT', 'statistics');
  return out.id;
}

describe('previous-span statistics resolver', () => {
  it('takes the highest span below the current one (not the newest artifact), same pipeline and node, LIVE only', () => {
    const data = emptyStore();
    dataRun(data, 'p', 2);
    const three = dataRun(data, 'p', 3);
    dataRun(data, 'p', 1); // a backfill of an older span, run later
    dataRun(data, 'p', 4, 'other_stats'); // another StatisticsGen node
    dataRun(data, 'q', 4); // another pipeline
    dataRun(data, 'p', 4, 'statistics_gen', 'DELETED');
    const current = dataRun(data, 'p', 5);
    const found = previousSpanStatistics(data, 'p', current)!;
    assert.equal(found.current.span, 5);
    assert.equal(found.previous?.span, 3);
    assert.equal(found.previous?.statistics.id, three);
    const first = previousSpanStatistics(data, 'p', dataRun(data, 'p', 0))!;
    assert.equal(first.previous, undefined);
    // The trends over spans of one pipeline (one root may hold several): q's span 4 is not p's.
    assert.deepEqual(statisticsBySpan(data, 'p', 'statistics_gen').map((s) => s.span), [0, 1, 2, 3, 5]);
    assert.deepEqual(statisticsBySpan(data, 'q').map((s) => s.span), [4]);
  });
});
