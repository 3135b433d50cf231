import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { compact, reindex } from '../../runtime/src/metadata/embedded/maintenance.ts';
import { addEvent, createArtifact, createExecution, finishExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';

const execution = (runId: string, nodeId: string, pid = process.pid, state: 'RUNNING' | 'COMPLETE' = 'RUNNING') => ({
  component: 'T', componentVersion: '1', nodeId, runId, state, params: {}, cacheKey: `key-${nodeId}`, pid, logFileFor: () => '',
});

/** Journal-specific checks; what every backend promises is in store-backends.test.ts. */
describe('metadata store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes only what a change touched: one line per change, never the run again', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata'));
    const seq = await store.ensureRun('r', 'p');
    const ids = await store.transaction('r', (data) => {
      const e = createExecution(data, execution('r', 'n'));
      const a = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
      addEvent(data, e.id, a.id, 'OUTPUT', 'examples');
      return { e: e.id, a: a.id };
    });
    await store.transaction('r', (data) => {
      const a = data.artifacts.find((x) => x.id === ids.a)!;
      a.state = 'LIVE';
      a.properties.rows = 3;
    });
    await store.transaction('r', (data) => data.executions.length); // a read: nothing written
    const lines = readFileSync(store.layout.journal(seq), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3, 'header + two changes');
    assert.deepEqual(Object.keys(lines[2]), ['a'], 'the second change wrote the artifact alone');
    assert.deepEqual(lines[2].a[0].properties, { rows: 3 });
  });

  it('skips a torn last line (a writer killed mid-write) and the next writer cuts it off', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata'));
    const seq = await store.ensureRun('r', 'p');
    await store.transaction('r', (data) => createExecution(data, execution('r', 'n1')));
    appendFileSync(store.layout.journal(seq), '{"x":[{"id":1,"nodeId":"half');
    const reopened = await MetadataStore.open(join(dir, 'metadata'));
    assert.deepEqual(reopened.reader.view([seq]).executions.map((e) => e.nodeId), ['n1'], 'readers skip the torn line');
    await reopened.transaction('r', (data) => createExecution(data, execution('r', 'n2')));
    assert.deepEqual((await reopened.read()).executions.map((e) => e.nodeId), ['n1', 'n2']);
    for (const line of readFileSync(store.layout.journal(seq), 'utf8').trimEnd().split('\n')) JSON.parse(line);
  });

  it('reports a corrupt journal line clearly, with file and line', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata'));
    const seq = await store.ensureRun('r', 'p');
    await store.transaction('r', (data) => createExecution(data, execution('r', 'n1')));
    const file = store.layout.journal(seq);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"x": [oops]}';
    writeFileSync(file, lines.join('\n'));
    const reopened = await MetadataStore.open(join(dir, 'metadata'));
    assert.throws(() => reopened.reader.view([seq]), new RegExp(`Metadata store ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: cannot be read`));
  });

  it('reindex rebuilds every index from the journals; compact rewrites finished runs as one line', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata'));
    const made: Record<string, number> = {};
    for (const [runId, state] of [['done', 'COMPLETE'], ['open', 'RUNNING']] as const) {
      const seq = await store.ensureRun(runId, 'p');
      made[runId] = seq;
      await store.transaction(runId, (data) => getOrCreateContext(data, 'pipeline_run', runId, { pipeline: 'p', state }));
      const e = await store.transaction(runId, (data) => createExecution(data, execution(runId, 'n')).id);
      await store.transaction(runId, (data) => {
        const a = createArtifact(data, 'Schema', (id) => `/x/${id}`, 'f');
        a.state = 'LIVE';
        addEvent(data, e, a.id, 'OUTPUT', 'schema');
        if (state === 'COMPLETE') finishExecution(data, e, 'COMPLETE');
      });
    }
    const before = { runs: store.reader.runSeqs({ pipeline: 'p' }), types: store.reader.typeSeqs('p', 'Schema', 10), open: store.reader.openSeqs(), cache: store.reader.cacheEntries('key-n') };
    for (const index of ['run-ids', 'pipelines', 'open', 'cache']) rmSync(join(dir, 'metadata', index), { recursive: true, force: true });
    assert.deepEqual(store.reader.runSeqs({ pipeline: 'p' }), [], 'the indexes are gone');
    const r = reindex(store.layout);
    assert.deepEqual([r.runs, r.cacheKeys, r.open, r.problems], [2, 1, 1, []]);
    assert.deepEqual({ runs: store.reader.runSeqs({ pipeline: 'p' }), types: store.reader.typeSeqs('p', 'Schema', 10), open: store.reader.openSeqs(), cache: store.reader.cacheEntries('key-n') }, before);
    assert.equal(store.reader.seqOf('done'), made.done);

    const viewBefore = store.reader.view([made.done, made.open], false); // parsed and kept by the reader
    const c = await compact(store.layout);
    assert.deepEqual([c.runs, c.compacted], [2, 1], 'the open run keeps its journal');
    assert.ok(c.bytesAfter < c.bytesBefore);
    assert.equal(readFileSync(store.layout.journal(made.done), 'utf8').trimEnd().split('\n').length, 2, 'header + one line');
    assert.deepEqual(store.reader.view([made.done, made.open], false), viewBefore, 'the same records, read again by the same reader');
    // A writer that had the run parsed appends after the compacted line.
    await store.transaction('done', (data) => createExecution(data, execution('done', 'later')));
    const reopened = await MetadataStore.open(join(dir, 'metadata'));
    assert.deepEqual(reopened.reader.view([made.done], false).executions.map((e) => e.nodeId), ['n', 'later']);
  });
});
