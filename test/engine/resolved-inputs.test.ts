/**
 * Component input resolvers (defineComponent's resolveInputs): what a component picks from the
 * metadata store joins its cache key, its lineage and its executor context; an unchanged store
 * keeps the cache.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { metadataFile } from '../../runtime/src/core/plan.ts';
import { runPipeline, type RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';

describe('component input resolvers', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    mkdirSync('test/.tmp', { recursive: true });
    dir = mkdtempSync(join('test/.tmp', 'resolved-'));
    cpSync('test/fixtures/custom/word-count.ts', join(dir, 'word-count.ts'));
    cpSync('test/fixtures/custom/previous-count.ts', join(dir, 'previous-count.ts'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pipeline = (clash = false) => `name: resolved
components:
  WordCount: word-count.ts
  PreviousCount: previous-count.ts
nodes:
  count:
    component: WordCount
    params: { text: text.txt }
  compare:
    component: PreviousCount
    inputs: { statistics: count.statistics }
    params: { clash: ${clash} }
`;
  const run = async (words: string) => {
    writeFileSync(join(dir, 'text.txt'), words);
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline());
    return runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { workers: 1 });
  };
  const states = (s: RunSummary) => s.nodes.map((n) => `${n.id}:${n.state}`);
  const compared = (s: RunSummary) => s.nodes.find((n) => n.id === 'compare')!.outputs!.comparison.properties;

  it('keys, records and hands over the resolved artifact; reruns only when it changes', async () => {
    const first = await run('one two three');
    assert.deepEqual(states(first), ['count:COMPLETE', 'compare:COMPLETE']);
    assert.deepEqual(compared(first), { words: 3, previousWords: null, previousId: null });
    assert.deepEqual(states(await run('one two three')), ['count:CACHED', 'compare:CACHED']);

    const second = await run('one two three four five');
    assert.deepEqual(states(second), ['count:COMPLETE', 'compare:COMPLETE']);
    const firstCount = first.nodes[0].outputs!.statistics.id;
    assert.deepEqual(compared(second), { words: 5, previousWords: 3, previousId: firstCount });
    const data = await (await MetadataStore.open(metadataFile(join(dir, '.tributary')))).read();
    const inputs = data.events.filter((e) => e.executionId === second.nodes[1].executionId && e.type === 'INPUT').map((e) => [e.key, e.artifactId]);
    assert.deepEqual(inputs, [['statistics', second.nodes[0].outputs!.statistics.id], ['previous', firstCount]]);
    assert.deepEqual(states(await run('one two three four five')), ['count:CACHED', 'compare:CACHED']);

    // Back to three words: count reuses the first run's artifact, before which nothing was counted,
    // so the resolver picks what it picked then and the first comparison is reused.
    const third = await run('one two three');
    assert.deepEqual(states(third), ['count:CACHED', 'compare:CACHED']);
    assert.deepEqual(compared(third), { words: 3, previousWords: null, previousId: null });
  });

  it('a resolver that returns a wired input name is refused', async () => {
    writeFileSync(join(dir, 'p.pipeline.yaml'), pipeline(true));
    await assert.rejects(runPipeline(await loadPlanOrThrow(join(dir, 'p.pipeline.yaml')), { workers: 1 }), {
      message: /PreviousCount's input resolver returned "statistics", which is also a wired input/,
    });
  });
});
