import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { createArtifact, createExecution, recoverAbandoned, addEvent } from '../../runtime/src/metadata/records.ts';

const run = (args: string[]) =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });

describe('metadata store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('concurrent processes do not lose each other’s records', async function () {
    this.timeout(60_000);
    const file = join(dir, 'metadata.json');
    const writers = ['a', 'b', 'c', 'd'].map((tag) => run(['test/helpers/store-writer.ts', file, tag, '15']));
    assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(data.executions.length, 60);
    assert.equal(new Set(data.executions.map((e: { id: number }) => e.id)).size, 60, 'ids unique');
    for (const tag of ['a', 'b', 'c', 'd']) {
      assert.equal(data.executions.filter((e: { runId: string }) => e.runId === tag).length, 15);
    }
  });

  it('marks executions of dead processes FAILED and their pending outputs ABANDONED', async () => {
    const store = await MetadataStore.open(join(dir, 'metadata.json'));
    await store.transaction((data) => {
      const e = createExecution(data, {
        component: 'T', componentVersion: '1', nodeId: 'n', runId: 'r', state: 'RUNNING',
        params: {}, cacheKey: 'k', pid: 999_999_999, logFileFor: () => '',
      });
      const a = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
      addEvent(data, e.id, a.id, 'OUTPUT', 'examples');
      const live = createExecution(data, {
        component: 'T', componentVersion: '1', nodeId: 'm', runId: 'r', state: 'RUNNING',
        params: {}, cacheKey: 'k', pid: process.pid, logFileFor: () => '',
      });
      assert.equal(live.state, 'RUNNING');
    });
    const recovered = await store.transaction((data) => recoverAbandoned(data));
    assert.equal(recovered, 1);
    const data = await store.read();
    assert.equal(data.executions[0].state, 'FAILED');
    assert.match(data.executions[0].error!, /abandoned/);
    assert.equal(data.executions[1].state, 'RUNNING', 'a live process keeps its execution');
    assert.equal(data.artifacts[0].state, 'ABANDONED');
  });

  it('reports a corrupt store file clearly', async () => {
    const file = join(dir, 'metadata.json');
    await MetadataStore.open(file);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{"schemaVersion": 1, "artif');
    await assert.rejects(MetadataStore.open(file), /Metadata store .* cannot be read/);
  });
});
