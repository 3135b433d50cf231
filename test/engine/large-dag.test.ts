/**
 * A generated large pipeline runs to completion on one store, in one process: a change to the
 * store appends only what it touched, and no lock is held across a node's work. `npm test` runs
 * 1,000 nodes; `LARGE_DAG_NODES=2000` (or 5000) `npx mocha test/engine/large-dag.test.ts` runs the
 * larger sizes (2,000 took 5 min at load 20 on a 2-core machine: see the README).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelinePlan, PlanNode } from '../../runtime/src/core/plan.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import type { WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { fakeRegistry } from '../helpers/fake-components.ts';

const NODES = Number(process.env.LARGE_DAG_NODES ?? 1000);

/** A tenth sources, the rest each read one earlier source: a wide DAG of NODES nodes. */
function generated(dir: string): PipelinePlan {
  const sources = Math.max(1, Math.floor(NODES / 10));
  const nodes: PlanNode[] = [];
  for (let i = 0; i < sources; i++) nodes.push({ id: `s${i}`, component: 'Source', params: { value: `v${i}` }, inputs: {} });
  for (let i = sources; i < NODES; i++) {
    nodes.push({ id: `u${i}`, component: 'Upper', params: {}, inputs: { examples: { node: `s${(i * 7919) % sources}`, output: 'examples' } } });
  }
  return { name: 'large', file: join(dir, 'large.pipeline.yaml'), dir, root: join(dir, '.tributary'), nodes, registry: fakeRegistry() };
}

describe(`a generated ${NODES}-node pipeline`, function () {
  this.timeout(1_200_000);
  let dir: string;
  let pool: WorkerPool;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-large-'));
    pool = createPool(2);
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs to completion and every execution is recorded in one run', async () => {
    const t0 = performance.now();
    const summary = await runPipeline(generated(dir), { pool });
    const wallMs = performance.now() - t0;
    console.log(
      `      ${NODES} nodes: ${(wallMs / 1000).toFixed(1)} s, ${(wallMs / NODES).toFixed(1)} ms per node, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
    );
    assert.equal(summary.state, 'COMPLETE');
    assert.equal(summary.nodes.length, NODES);
    const store = await MetadataStore.open(join(dir, '.tributary', 'metadata'));
    const seq = store.reader.seqOf(summary.runId)!;
    const data = store.reader.view([seq], false);
    assert.equal(data.executions.filter((e) => e.state === 'COMPLETE').length, NODES);
    assert.equal(data.artifacts.filter((a) => a.state === 'LIVE').length, NODES);
    // One line per change: a node's start and its publish, not a rewrite of the run each time.
    const lines = readFileSync(store.layout.journal(seq), 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= 2 * NODES + 3, `${lines} journal lines`);
  });
});
