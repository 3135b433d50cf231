/**
 * The work of one change does not grow with the size of its run: recording a node, publishing it,
 * a cache hit and a cache lookup in a 2,000-node run read as many records as in a 50-node run.
 * Work is counted, not timed: every element read of the run's record arrays (whatever code path
 * reads them: the change, the ids, the open-run check, the lookup), and on Postgres the rows a
 * change fetches when another process wrote the run since.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import { RunRecords } from '../../runtime/src/metadata/embedded/journal.ts';
import { applyChange } from '../../runtime/src/metadata/embedded/tracking.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { PostgresMetadataStore } from '../../runtime/src/metadata/postgres/store.ts';
import { buildRun as build, publishNode, startNode as start } from '../helpers/node-records.ts';
import { usePostgres } from '../helpers/postgres.ts';

const PIPELINE = 'big';
const SMALL = 50;
const LARGE = 2000;

const startNode = (data: StoreData, runId: string, node: string, input?: number, cachedFrom?: number) => start(data, PIPELINE, runId, node, { input, cachedFrom });
const buildRun = (data: StoreData, runId: string, nodes: number) => build(data, PIPELINE, runId, nodes);

const KINDS = ['artifacts', 'executions', 'contexts', 'events', 'associations', 'attributions'] as const;

/** Counts every element read of a run's record arrays from now on. */
function countReads(records: RunRecords): { reads: number } {
  const counter = { reads: 0 };
  for (const kind of KINDS) {
    const list = records.data[kind] as object[];
    (records.data as unknown as Record<string, object[]>)[kind] = new Proxy(list, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && prop.length && prop.charCodeAt(0) >= 48 && prop.charCodeAt(0) <= 57) counter.reads++;
        return Reflect.get(target, prop, receiver);
      },
    });
  }
  return counter;
}

/** Element reads of one node's start, its publish and a cache hit, in a run that already has `nodes` nodes. */
function readsPerNode(nodes: number): { start: number; publish: number; hit: number } {
  const runId = `run-${nodes}`;
  const records = new RunRecords({ format: 2, runId, seq: 3, pipeline: PIPELINE, createdAt: new Date().toISOString() });
  applyChange(records, (data) => buildRun(data, runId, nodes));
  const counter = countReads(records);
  const measure = (change: (data: StoreData) => unknown) => {
    counter.reads = 0;
    applyChange(records, change);
    return counter.reads;
  };
  let started: { execution: number; artifact: number } | undefined;
  const start = measure((data) => (started = startNode(data, runId, 'extra', 3 * 100_000 + 1)));
  const publish = measure((data) => publishNode(data, started!.execution));
  const hit = measure((data) => startNode(data, runId, 'hit', undefined, started!.execution));
  return { start, publish, hit };
}

describe('the cost of one metadata change', function () {
  this.timeout(120_000);

  it(`reads as many records in a ${LARGE}-node run as in a ${SMALL}-node run (the change path both backends share)`, () => {
    const small = readsPerNode(SMALL);
    const large = readsPerNode(LARGE);
    for (const step of ['start', 'publish', 'hit'] as const) {
      assert.ok(large[step] <= small[step] + 2, `${step}: ${large[step]} reads at ${LARGE} nodes against ${small[step]} at ${SMALL}`);
    }
  });

  it('an embedded cache lookup reads the execution and its outputs, not the run that holds them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trib-cost-'));
    try {
      const readsOfLookup = async (nodes: number) => {
        const store = await MetadataStore.open(join(dir, `store-${nodes}`));
        const runId = `run-${nodes}`;
        const seq = await store.ensureRun(runId, PIPELINE);
        await store.transaction(runId, (data) => buildRun(data, runId, nodes));
        const counter = countReads(store.reader.run(seq)!);
        const found = await store.findCached(`key-n${nodes - 1}`, () => true);
        assert.equal(found?.execution.nodeId, `n${nodes - 1}`);
        assert.equal(found?.outputs.out.state, 'LIVE');
        return counter.reads;
      };
      const small = await readsOfLookup(SMALL);
      const large = await readsOfLookup(LARGE);
      assert.ok(large <= small + 2, `${large} reads at ${LARGE} nodes against ${small} at ${SMALL}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on Postgres', function () {
    const server = usePostgres();

    /** Rows fetched by all pg clients while `work` runs. */
    async function rowsFetched(work: () => Promise<unknown>): Promise<number> {
      const original = pg.Client.prototype.query;
      let rows = 0;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const result = (original as (...a: unknown[]) => unknown).apply(this, args);
        if (result instanceof Promise) result.then((r: pg.QueryResult | undefined) => (rows += r?.rows?.length ?? 0), () => undefined);
        return result;
      } as typeof original;
      try {
        await work();
      } finally {
        pg.Client.prototype.query = original;
      }
      return rows;
    }

    it('a change after another process wrote the run fetches the rows it changed, not the run', async () => {
      const fetchedAfterOthers = async (nodes: number) => {
        const url = await server.url();
        const [a, b] = [await PostgresMetadataStore.open(url), await PostgresMetadataStore.open(url)];
        try {
          const runId = `run-${nodes}`;
          await a.ensureRun(runId, PIPELINE);
          await a.transaction(runId, (data) => buildRun(data, runId, nodes));
          // Another process (b) records a node of the same run: a's copy is now behind.
          const started = await b.transaction(runId, (data) => startNode(data, runId, 'other'));
          const fetched = await rowsFetched(() => a.transaction(runId, (data) => publishNode(data, started.execution)));
          const run = (await a.queries.view([(await a.queries.seqOf(runId))!], false)).executions.find((e) => e.nodeId === 'other');
          assert.equal(run?.state, 'COMPLETE', 'the publish saw the execution the other process recorded');
          return fetched;
        } finally {
          await a.close();
          await b.close();
        }
      };
      const small = await fetchedAfterOthers(SMALL);
      const large = await fetchedAfterOthers(LARGE);
      assert.ok(large <= small, `${large} rows fetched at ${LARGE} nodes against ${small} at ${SMALL}`);
    });
  });
});
