import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { addEvent, createArtifact, createExecution } from '../../runtime/src/metadata/records.ts';

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
});
