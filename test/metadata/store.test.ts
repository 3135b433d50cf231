import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { addEvent, createArtifact, createExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { ID_STRIDE } from '../../runtime/src/metadata/embedded/layout.ts';

const run = (args: string[]) =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });

const execution = (runId: string, nodeId: string, pid = process.pid, state: 'RUNNING' | 'COMPLETE' = 'RUNNING') => ({
  component: 'T', componentVersion: '1', nodeId, runId, state, params: {}, cacheKey: `key-${nodeId}`, pid, logFileFor: () => '',
});

describe('metadata store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('concurrent processes lose nothing, in their own runs and in one run they share', async function () {
    this.timeout(120_000);
    const store = join(dir, 'metadata');
    const writers = ['a', 'b', 'c', 'd'].map((tag) => run(['test/helpers/store-writer.ts', store, tag, '15']));
    assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
    const data = await (await MetadataStore.open(store)).read();
    assert.equal(data.executions.length, 120);
    assert.equal(new Set(data.executions.map((e) => e.id)).size, 120, 'ids unique');
    for (const tag of ['a', 'b', 'c', 'd']) {
      assert.equal(data.executions.filter((e) => e.runId === tag).length, 15);
      assert.equal(data.executions.filter((e) => e.runId === 'shared' && e.nodeId.startsWith(`${tag}-`)).length, 15);
    }
  });

  it('gives each run its own block of ids, so ids never need a global rewrite', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata'));
    const first = await store.ensureRun('r1', 'p');
    const second = await store.ensureRun('r2', 'p');
    assert.equal(await store.ensureRun('r1', 'p'), first, 'a run is created once');
    const a = await store.transaction('r1', (data) => createExecution(data, execution('r1', 'n')).id);
    const b = await store.transaction('r2', (data) => createExecution(data, execution('r2', 'n')).id);
    assert.equal(Math.floor(a / ID_STRIDE), first);
    assert.equal(Math.floor(b / ID_STRIDE), second);
    assert.ok(b > a, 'ids grow with time');
  });

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

  it('recovers executions and runs of processes that died, and only the runs left open', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata'));
    await store.ensureRun('dead', 'p');
    await store.ensureRun('alive', 'p');
    const dead = 999_999_999;
    const artifact = await store.transaction('dead', (data) => {
      getOrCreateContext(data, 'pipeline_run', 'dead', { pipeline: 'p', state: 'RUNNING', pid: dead, host: hostname() });
      const e = createExecution(data, execution('dead', 'n', dead));
      const a = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
      addEvent(data, e.id, a.id, 'OUTPUT', 'examples');
      return a.id;
    });
    await store.transaction('alive', (data) => {
      getOrCreateContext(data, 'pipeline_run', 'alive', { pipeline: 'p', state: 'RUNNING' });
      createExecution(data, execution('alive', 'm'));
    });
    assert.equal(await store.recover(), 1);
    const data = await store.read();
    const byNode = Object.fromEntries(data.executions.map((e) => [e.nodeId, e]));
    assert.equal(byNode.n.state, 'FAILED');
    assert.match(byNode.n.error!, /abandoned/);
    assert.equal(byNode.m.state, 'RUNNING', 'a live process keeps its execution');
    assert.equal(data.artifacts.find((a) => a.id === artifact)!.state, 'ABANDONED');
    const runState = (id: string) => data.contexts.find((c) => c.type === 'pipeline_run' && c.name === id)!.properties.state;
    assert.equal(runState('dead'), 'FAILED', 'a run whose process died is failed');
    assert.equal(runState('alive'), 'RUNNING');
    assert.equal(await store.recover(), 0, 'nothing left to recover');
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
