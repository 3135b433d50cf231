/**
 * The store's promises, checked the same way on both backends: the embedded journals and a real
 * Postgres server (started by the tests; see helpers/postgres.ts). Journal-specific checks (torn
 * lines, file and line of a corrupt one) are in store.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { MetadataBackend } from '../../runtime/src/metadata/backend.ts';
import { openStoreAt } from '../../runtime/src/metadata/open.ts';
import { PostgresMetadataStore } from '../../runtime/src/metadata/postgres/store.ts';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../runtime/src/metadata/postgres/schema.ts';
import { ID_STRIDE } from '../../runtime/src/metadata/embedded/layout.ts';
import {
  addEvent, associate, attribute, createArtifact, createExecution, finishExecution, getOrCreateContext,
} from '../../runtime/src/metadata/records.ts';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import { usePostgres } from '../helpers/postgres.ts';

const child = (args: string[]) =>
  new Promise<number>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: 'inherit' });
    p.on('error', reject);
    p.on('exit', (code) => resolve(code ?? -1));
  });

const execution = (runId: string, nodeId: string, pid = process.pid, state: 'RUNNING' | 'COMPLETE' = 'RUNNING', cacheKey = `key-${nodeId}`) => ({
  component: 'T', componentVersion: '1', nodeId, runId, state, params: { n: 1 }, cacheKey, pid, logFileFor: (id: number) => `runs/${runId}/${id}.log`,
});

/** A run with a pipeline context, one execution reading `input` (if any) and writing a LIVE artifact. */
async function producingRun(store: MetadataBackend, runId: string, pipeline: string, type: 'Examples' | 'Model', input?: number) {
  await store.ensureRun(runId, pipeline);
  return store.transaction(runId, (data) => {
    const p = getOrCreateContext(data, 'pipeline', pipeline);
    const run = getOrCreateContext(data, 'pipeline_run', runId, { pipeline, state: 'COMPLETE' });
    const e = createExecution(data, execution(runId, `${type}-node`, process.pid, 'RUNNING', `key-${runId}`));
    associate(data, e.id, [p, run]);
    if (input !== undefined) addEvent(data, e.id, input, 'INPUT', 'input');
    const a = createArtifact(data, type, (id) => `/root/${type}/${id}`, `fp-${runId}`);
    a.state = 'LIVE';
    a.properties.span = 3;
    addEvent(data, e.id, a.id, 'OUTPUT', 'out');
    attribute(data, a.id, [p]);
    finishExecution(data, e.id, 'COMPLETE', { properties: { rows: 10 } });
    return { execution: e.id, artifact: a.id };
  });
}

interface Backend {
  name: string;
  /** A fresh, empty store's location for this test. */
  fresh(): Promise<string>;
  cleanup(): void;
}

function contract(backend: () => Backend) {
  let location: string;
  let open: MetadataBackend[] = [];
  const store = async () => {
    const s = await openStoreAt(location);
    open.push(s);
    return s;
  };
  beforeEach(async () => (location = await backend().fresh()));
  afterEach(async () => {
    for (const s of open) await s.close();
    open = [];
    backend().cleanup();
  });

  it('concurrent processes lose nothing, in their own runs and in one run they share', async function () {
    this.timeout(180_000);
    const writers = ['a', 'b', 'c', 'd'].map((tag) => child(['test/helpers/store-writer.ts', location, tag, '15']));
    assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
    const data = await (await store()).read();
    assert.equal(data.executions.length, 120);
    assert.equal(new Set(data.executions.map((e) => e.id)).size, 120, 'ids unique');
    for (const tag of ['a', 'b', 'c', 'd']) {
      assert.equal(data.executions.filter((e) => e.runId === tag).length, 15);
      assert.equal(data.executions.filter((e) => e.runId === 'shared' && e.nodeId.startsWith(`${tag}-`)).length, 15);
    }
  });

  it('gives each run its own block of ids, and reads records back exactly as written', async () => {
    const s = await store();
    const first = await s.ensureRun('r1', 'p');
    const second = await s.ensureRun('r2', 'p');
    assert.equal(await s.ensureRun('r1', 'p'), first, 'a run is created once');
    const written: StoreData[] = [];
    const a = await s.transaction('r1', (data) => {
      const e = createExecution(data, execution('r1', 'n'));
      const art = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
      art.manifest = [{ path: 'a.txt', size: 1, mtimeMs: 2.5, sha256: 'ab' }];
      addEvent(data, e.id, art.id, 'OUTPUT', 'examples');
      written.push(JSON.parse(JSON.stringify(data)) as StoreData);
      return e.id;
    });
    const b = await s.transaction('r2', (data) => createExecution(data, { ...execution('r2', 'n'), cachedFrom: a, host: 'h', params: { splits: { train: 2, eval: 1 }, z: 1, a: 2 } }).id);
    assert.equal(Math.floor(a / ID_STRIDE), first);
    assert.equal(Math.floor(b / ID_STRIDE), second);
    assert.ok(b > a, 'ids grow with time');
    const back = await (await openStoreAt(location).then((x) => (open.push(x), x))).queries.view([first], false);
    assert.deepEqual(back.executions, written[0].executions);
    assert.deepEqual(back.artifacts, written[0].artifacts);
    assert.deepEqual(back.events, written[0].events);
    const cached = (await s.queries.view([second], false)).executions[0];
    assert.equal(cached.cachedFrom, a);
    assert.equal(cached.host, 'h');
    assert.equal('finishedAt' in cached, false, 'absent fields stay absent');
    // Key order is kept (ExampleGen's splits are ordered; Postgres's jsonb would sort them).
    assert.deepEqual(Object.keys(cached.params), ['splits', 'z', 'a']);
    assert.deepEqual(Object.keys(cached.params.splits as object), ['train', 'eval']);
  });

  it('a change that throws writes nothing, and the run stays usable', async () => {
    const s = await store();
    const seq = await s.ensureRun('r', 'p');
    await s.transaction('r', (data) => createExecution(data, execution('r', 'n1')));
    await assert.rejects(
      s.transaction('r', (data) => {
        createExecution(data, execution('r', 'n2'));
        throw new Error('boom');
      }),
      /boom/,
    );
    await s.transaction('r', (data) => createExecution(data, execution('r', 'n3')));
    const again = await store();
    assert.deepEqual((await again.queries.view([seq])).executions.map((e) => e.nodeId), ['n1', 'n3']);
  });

  it('publishes an execution COMPLETE and its outputs LIVE together', async () => {
    const s = await store();
    await s.ensureRun('r', 'p');
    const ids = await s.transaction('r', (data) => {
      const e = createExecution(data, execution('r', 'n'));
      const a = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
      addEvent(data, e.id, a.id, 'OUTPUT', 'examples');
      return { e: e.id, a: a.id };
    });
    const reader = await store();
    const seen = await reader.queries.view([await reader.queries.seqOf('r') as number]);
    assert.equal(seen.artifacts[0].state, 'PENDING');
    await s.transaction('r', (data) => {
      finishExecution(data, ids.e, 'COMPLETE');
      data.artifacts.find((x) => x.id === ids.a)!.state = 'LIVE';
    });
    const after = await reader.queries.view([await reader.queries.seqOf('r') as number]);
    assert.deepEqual([after.executions[0].state, after.artifacts[0].state], ['COMPLETE', 'LIVE']);
  });

  it('recovers executions and runs of processes that died, and only the runs left open', async () => {
    const s = await store();
    await s.ensureRun('dead', 'p');
    await s.ensureRun('alive', 'p');
    const dead = 999_999_999;
    const artifact = await s.transaction('dead', (data) => {
      getOrCreateContext(data, 'pipeline_run', 'dead', { pipeline: 'p', state: 'RUNNING', pid: dead, host: hostname() });
      const e = createExecution(data, execution('dead', 'n', dead));
      const a = createArtifact(data, 'Examples', (id) => `/x/${id}`, 'f');
      addEvent(data, e.id, a.id, 'OUTPUT', 'examples');
      return a.id;
    });
    await s.transaction('alive', (data) => {
      getOrCreateContext(data, 'pipeline_run', 'alive', { pipeline: 'p', state: 'RUNNING' });
      createExecution(data, execution('alive', 'm'));
    });
    assert.deepEqual((await s.queries.openSeqs()).length, 2);
    assert.equal(await s.recover(), 1);
    const data = await s.read();
    const byNode = Object.fromEntries(data.executions.map((e) => [e.nodeId, e]));
    assert.equal(byNode.n.state, 'FAILED');
    assert.match(byNode.n.error!, /abandoned/);
    assert.equal(byNode.m.state, 'RUNNING', 'a live process keeps its execution');
    assert.equal(data.artifacts.find((a) => a.id === artifact)!.state, 'ABANDONED');
    const runState = (id: string) => data.contexts.find((c) => c.type === 'pipeline_run' && c.name === id)!.properties.state;
    assert.equal(runState('dead'), 'FAILED', 'a run whose process died is failed');
    assert.equal(runState('alive'), 'RUNNING');
    assert.equal((await s.queries.openSeqs()).length, 1, 'the recovered run is no longer open');
    assert.equal(await s.recover(), 0, 'nothing left to recover');
  });

  it('finds the newest usable execution for a cache key, with its outputs by name', async () => {
    const s = await store();
    const ids: { execution: number; artifact: number }[] = [];
    for (const r of ['r1', 'r2']) {
      await s.ensureRun(r, 'p');
      ids.push(
        await s.transaction(r, (data) => {
          const e = createExecution(data, execution(r, 'n', process.pid, 'RUNNING', 'same-key'));
          const a = createArtifact(data, 'Examples', (id) => `/x/${id}`, `fp-${r}`);
          a.state = 'LIVE';
          addEvent(data, e.id, a.id, 'OUTPUT', 'examples');
          finishExecution(data, e.id, 'COMPLETE');
          return { execution: e.id, artifact: a.id };
        }),
      );
    }
    const newest = await s.findCached('same-key', () => true);
    assert.equal(newest?.execution.id, ids[1].execution);
    assert.equal(newest?.outputs.examples.id, ids[1].artifact);
    const older = await s.findCached('same-key', (outputs) => outputs.examples.fingerprint === 'fp-r1');
    assert.equal(older?.execution.id, ids[0].execution, 'an unusable newer one is skipped');
    assert.equal(await s.findCached('other-key', () => true), undefined);
  });

  it('answers readers from indexes: pages of runs, runs by type, imports, lineage and history', async () => {
    const s = await store();
    const ex = await producingRun(s, 'r1', 'p', 'Examples');
    await producingRun(s, 'other', 'q', 'Examples');
    const model = await producingRun(s, 'r2', 'p', 'Model', ex.artifact);
    const pending = await s.ensureRun('r3', 'p');
    const [r1, r2] = [await s.queries.seqOf('r1'), await s.queries.seqOf('r2')] as number[];
    assert.deepEqual(await s.queries.runSeqs({ pipeline: 'p' }), [pending, r2, r1], 'newest first, only this pipeline');
    assert.deepEqual(await s.queries.runSeqs({ pipeline: 'p', limit: 1, before: pending }), [r2]);
    assert.equal((await s.queries.runSeqs()).length, 4);
    assert.deepEqual(await s.queries.typeSeqs('p', 'Model', 10), [r2]);
    assert.deepEqual(await s.queries.typeSeqs('p', 'Examples', 10), [r1]);
    const view = await s.queries.view([r2]);
    assert.ok(view.artifacts.some((a) => a.id === ex.artifact), 'the input artifact of another run comes along');
    assert.equal(view.contexts.filter((c) => c.type === 'pipeline').length, 1, 'one pipeline context');
    const lineage = await s.queries.lineageView(model.artifact);
    assert.deepEqual(lineage.executions.map((e) => e.id).sort(), [ex.execution, model.execution].sort());
    const history = await s.queries.historyView('p', 'r3', ['Examples']);
    assert.ok(history.artifacts.some((a) => a.id === ex.artifact));
    assert.ok(!history.executions.some((e) => e.runId === 'other'), 'another pipeline stays out');
    assert.equal(await s.queries.seqOf('nope'), undefined);
  });

  it("finds a node's newest run within a bound, and stamps what an editor polls", async () => {
    const s = await store();
    const ex = await producingRun(s, 'r1', 'p', 'Examples');
    await producingRun(s, 'r2', 'p', 'Model', ex.artifact);
    await producingRun(s, 'q1', 'q', 'Model', ex.artifact);
    const [r1, r2] = [await s.queries.seqOf('r1'), await s.queries.seqOf('r2')] as number[];
    assert.equal(await s.queries.nodeSeq('p', 'Model-node'), r2, "the pipeline's newest run of the node, not another pipeline's");
    assert.equal(await s.queries.nodeSeq('p', 'Examples-node'), r1);
    assert.equal(await s.queries.nodeSeq('p', 'Examples-node', 1), undefined, 'only the newest `lookback` runs are looked at');
    assert.equal(await s.queries.nodeSeq('p', 'nope'), undefined);
    assert.equal(await s.queries.nodeSeq(undefined, 'Model-node'), await s.queries.seqOf('q1'), 'any pipeline when none is named');

    // The stamp moves when a run starts, when an open run is written to, and when it finishes; not otherwise.
    const stamps = [await s.queries.stamp('p')];
    const next = async (what: string) => {
      const now = await s.queries.stamp('p');
      assert.notEqual(now, stamps[stamps.length - 1], what);
      stamps.push(now);
    };
    assert.equal(await s.queries.stamp('p'), stamps[0], 'no write, no change');
    await s.ensureRun('r3', 'p');
    await next('a run started');
    await s.transaction('r3', (data) => void getOrCreateContext(data, 'pipeline_run', 'r3', { pipeline: 'p', state: 'RUNNING', pid: process.pid, host: hostname() }));
    await next('the run is open');
    await s.transaction('r3', (data) => void createExecution(data, execution('r3', 'n')));
    await next('an open run was written to');
    await s.transaction('r3', (data) => {
      for (const e of data.executions) finishExecution(data, e.id, 'COMPLETE');
      getOrCreateContext(data, 'pipeline_run', 'r3', { state: 'COMPLETE' });
    });
    await next('the run finished');
    assert.equal(await s.queries.stamp('p'), stamps[stamps.length - 1]);
  });
}

describe('metadata store contract: embedded', () => {
  let dir: string;
  contract(() => ({
    name: 'embedded',
    fresh: async () => join((dir = mkdtempSync(join(tmpdir(), 'trib-store-'))), 'metadata'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }));
});

describe('metadata store contract: postgres', function () {
  this.timeout(60_000);
  const server = usePostgres();
  contract(() => ({ name: 'postgres', fresh: server.url, cleanup: () => undefined }));

  it('creates its schema once when processes open it together, and refuses a newer one', async () => {
    const url = await server.url();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresMetadataStore.open(url)));
    for (const s of stores) await s.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM tributary_schema ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migrate(client, 'test'), [], 'nothing to apply the second time');
      const next = { version: SCHEMA_VERSION + 1, description: 'a later column', sql: 'ALTER TABLE runs ADD COLUMN note text' };
      assert.deepEqual(await migrate(client, 'test', [...MIGRATIONS, next]), [next.version], 'a new migration is applied once');
      await assert.rejects(PostgresMetadataStore.open(url), new RegExp(`schema version ${SCHEMA_VERSION + 1}; this Tributary knows up to ${SCHEMA_VERSION}: upgrade Tributary`));
    } finally {
      await client.end();
    }
  });

  it('says which server it could not reach, without the password', async () => {
    await assert.rejects(PostgresMetadataStore.open('postgres://me:secret@127.0.0.1:1/db'), (e: Error) => {
      assert.match(e.message, /Cannot connect to the metadata store postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/db/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
  });
});
