// Benchmark: what one metadata change costs in a small run and in a very large one. For each
// backend, a run of N nodes is written (started and published, a chain), then 200 more nodes are
// recorded the way the node runner records them (start: a RUNNING execution with its contexts and
// a PENDING output; publish: COMPLETE and LIVE; a cache hit: a CACHED execution) plus a cache
// lookup each, through the store's API. Prints the median time per change at each size and the
// ratio large / small, measured in the same process; the target is a ratio ≤ 1.25 (the change does
// not scan its run).
//
//   npm run bench:metadata-change -- [--nodes 50,5000] [--changes 200] [--postgres | --postgres-url URL]
//
// --postgres starts a Postgres server for the bench (Debian's postgresql, default durability).

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { MetadataBackend } from '../runtime/src/metadata/backend.ts';
import { openStoreAt } from '../runtime/src/metadata/open.ts';
import { buildRun, publishNode, startNode } from '../test/helpers/node-records.ts';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '50,5000' },
    changes: { type: 'string', default: '200' },
    postgres: { type: 'boolean', default: false },
    'postgres-url': { type: 'string' },
  },
});
const SIZES = values.nodes.split(',').map(Number);
const CHANGES = Number(values.changes);
const PIPELINE = 'bench';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ms of one start, one publish, one cache lookup + hit, in a run of `nodes` nodes. */
async function perChange(store: MetadataBackend, nodes: number): Promise<Record<string, number>> {
  const runId = `run-${nodes}-${Date.now()}`;
  await store.ensureRun(runId, PIPELINE);
  // Cache keys of this run only: a lookup finds this run's executions, not another size's.
  const key = (node: string) => `${runId}-${node}`;
  await store.transaction(runId, (data) => buildRun(data, PIPELINE, runId, nodes, key));
  const times: Record<string, number[]> = { start: [], publish: [], 'cache lookup + hit': [] };
  const timed = async <T>(op: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await work();
    times[op].push(performance.now() - t0);
    return out;
  };
  for (let i = 0; i < CHANGES; i++) {
    const node = `extra${i}`;
    const started = await timed('start', () => store.transaction(runId, (data) => startNode(data, PIPELINE, runId, node, { cacheKey: key(node) })));
    await timed('publish', () => store.transaction(runId, (data) => publishNode(data, started.execution)));
    await timed('cache lookup + hit', async () => {
      const hit = await store.findCached(key(node), () => true);
      if (!hit) throw new Error(`no cache hit for ${node}`);
      return store.transaction(runId, (data) => startNode(data, PIPELINE, runId, `${node}-hit`, { cachedFrom: hit.execution.id, cacheKey: key(node) }));
    });
  }
  return Object.fromEntries(Object.entries(times).map(([op, xs]) => [op, median(xs)]));
}

async function measure(name: string, location: () => Promise<string>): Promise<void> {
  const results = new Map<number, Record<string, number>>();
  // A first pass at the smallest size warms the code up (JIT, connections), then is discarded.
  for (const nodes of [SIZES[0], ...SIZES]) {
    const store = await openStoreAt(await location());
    try {
      results.set(nodes, await perChange(store, nodes));
    } finally {
      await store.close();
    }
  }
  const [small, large] = [SIZES[0], SIZES[SIZES.length - 1]];
  console.log(`\n${name}: median ms per change (${CHANGES} changes each), run of ${SIZES.join(' vs ')} nodes`);
  console.log(`| change | ${SIZES.map((n) => `${n} nodes`).join(' | ')} | ratio ${large}/${small} | target ≤ 1.25 |`);
  console.log(`|---|${SIZES.map(() => '---|').join('')}---|---|`);
  for (const op of Object.keys(results.get(small)!)) {
    const ratio = results.get(large)![op] / results.get(small)![op];
    console.log(`| ${op} | ${SIZES.map((n) => results.get(n)![op].toFixed(2)).join(' | ')} | ${ratio.toFixed(2)} | ${ratio <= 1.25 ? 'PASS' : 'MISS'} |`);
  }
}

async function main(): Promise<void> {
  console.log(`metadata change bench: load ${loadavg()[0].toFixed(1)}`);
  const dir = mkdtempSync(join(tmpdir(), 'trib-change-bench-'));
  let server: TestPostgres | undefined;
  try {
    let n = 0;
    await measure('embedded', async () => join(dir, `store-${++n}`));
    const url = values['postgres-url'];
    if (values.postgres) {
      const started = await startPostgres({ durable: true });
      if (typeof started === 'string') throw new Error(`--postgres: ${started}`);
      server = started;
    }
    if (server) await measure('postgres', () => server!.database());
    else if (url) await measure('postgres', async () => url!);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nload average now ${loadavg()[0].toFixed(1)}`);
}

await main();
