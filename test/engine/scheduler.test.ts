import assert from 'node:assert/strict';
import { listRuns } from '../../runtime/src/metadata/report.ts';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { PipelinePlan, PlanNode } from '../../runtime/src/core/plan.ts';
import type { RunEvent } from '../../runtime/src/core/run-events.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { fakeRegistry, timeline } from '../helpers/fake-components.ts';
import { CoreGate } from '../../runtime/src/engine/resources.ts';

function plan(dir: string, nodes: PlanNode[]): PipelinePlan {
  return { name: 'p', file: join(dir, 'p.pipeline.yaml'), dir, root: join(dir, '.tributary'), nodes, registry: fakeRegistry() };
}
const src = (id: string, params: Record<string, unknown> = {}): PlanNode => ({ id, component: 'Source', params, inputs: {} });
const up = (id: string, from: string, params: Record<string, unknown> = {}): PlanNode => ({
  id,
  component: 'Upper',
  params,
  inputs: { examples: { node: from, output: 'examples' } },
});

describe('scheduler', () => {
  let dir: string;
  let pool: WorkerPool;
  before(() => (pool = createPool(1)));
  after(() => pool.close());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-sched-'));
    timeline.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a chain in topological order and publishes LIVE outputs', async () => {
    const summary = await runPipeline(plan(dir, [src('a', { value: 'hi' }), up('b', 'a')]), { pool });
    assert.equal(summary.state, 'COMPLETE');
    assert.deepEqual(summary.nodes.map((n) => n.state), ['COMPLETE', 'COMPLETE']);
    const out = summary.nodes[1].outputs!.statistics;
    assert.equal(readFileSync(join(out.uri, 'value.txt'), 'utf8'), 'HI');
    assert.ok(out.uri.startsWith(join(dir, '.tributary', 'b', 'statistics')));
    const data = await (await MetadataStore.open(join(dir, '.tributary', 'metadata.json'))).read();
    assert.ok(data.artifacts.every((a) => a.state === 'LIVE'));
    assert.equal(data.executions.length, 2);
    assert.ok(existsSync(data.executions[0].logFile), 'per-node log file written');
    assert.match(readFileSync(data.executions[0].logFile, 'utf8'), /wrote hi/);
  });

  it('runs independent nodes in parallel', async () => {
    const summary = await runPipeline(plan(dir, [src('a', { delay_ms: 300 }), src('b', { delay_ms: 300 })]), { pool });
    assert.equal(summary.state, 'COMPLETE');
    const startB = timeline.find((e) => e.node === 'b' && e.event === 'start')!.t;
    const endA = timeline.find((e) => e.node === 'a' && e.event === 'end')!.t;
    assert.ok(startB < endA, 'b started before a finished');
    assert.ok(summary.wallMs < 550, `two 300 ms nodes took ${summary.wallMs} ms`);
  });

  it('runs an exclusive node (InfraValidator) alone: it waits for running nodes, and nodes ready later wait for it', async () => {
    // Distinct values: equal params would make one node a cache hit of another.
    const timer = (id: string): PlanNode => ({ id, component: 'Timer', params: { delay_ms: 150, value: id }, inputs: {} });
    const events: RunEvent[] = [];
    const nodes = [src('a', { delay_ms: 250, value: 'a' }), timer('t'), src('b', { delay_ms: 250, value: 'b' }), timer('u')];
    const summary = await runPipeline(plan(dir, nodes), { pool, onEvent: (e) => events.push(e) });
    assert.equal(summary.state, 'COMPLETE');
    const span = (node: string) => [timeline.find((e) => e.node === node && e.event === 'start')!.t, timeline.find((e) => e.node === node && e.event === 'end')!.t];
    for (const x of ['t', 'u']) {
      const [s, e] = span(x);
      for (const other of ['a', 'b', 't', 'u'].filter((o) => o !== x)) {
        const [os, oe] = span(other);
        assert.ok(oe <= s || os >= e, `${x} [${s}, ${e}] overlaps ${other} [${os}, ${oe}]`);
      }
    }
    // a was running when t became ready; t then went before b, which became ready at the same time.
    assert.ok(span('t')[0] >= span('a')[1] && span('b')[0] >= span('t')[1]);
    assert.ok(events.some((e) => e.type === 'log' && e.nodeId === 't' && /waiting for exclusive use of the machine/.test(e.message)));
  });

  it('reports the run’s CPU by thread group when it starts its own pool', async () => {
    const own = await runPipeline(plan(dir, [src('a', { value: 'cpu' })]), { workers: 1 });
    assert.equal(own.state, 'COMPLETE');
    assert.ok(own.cpu && own.cpu.totalMs >= 0, JSON.stringify(own));
    if (process.platform === 'linux') {
      // Split by thread group. How each group's time is told apart is the thread CPU meter's test:
      // this run is too short for /proc's 10 ms ticks per thread to say much.
      const { mainMs, workersMs, backgroundMs } = own.cpu;
      for (const part of [mainMs, workersMs, backgroundMs]) assert.ok(Number.isInteger(part) && part! >= 0, JSON.stringify(own.cpu));
    }
    // Kept with the run in the store, for `tributary runs`.
    const recorded = listRuns(await (await MetadataStore.open(join(dir, '.tributary', 'metadata.json'))).read()).find((r) => r.runId === own.runId)!;
    assert.deepEqual(recorded.cpu, own.cpu);
    assert.equal(recorded.peakRssMb, own.peakRssMb);
    assert.ok(own.peakRssMb > 0);
    // A shared pool's threads predate the run: no breakdown is made up for them.
    assert.equal((await runPipeline(plan(dir, [src('a', { value: 'cpu' })]), { pool })).cpu, undefined);
  });

  it('a failed node stops only its descendants', async () => {
    const summary = await runPipeline(
      plan(dir, [src('bad', { fail: true }), up('after_bad', 'bad'), src('good'), up('after_good', 'good')]),
      { pool },
    );
    const states = Object.fromEntries(summary.nodes.map((n) => [n.id, n.state]));
    assert.deepEqual(states, { bad: 'FAILED', after_bad: 'SKIPPED', good: 'COMPLETE', after_good: 'COMPLETE' });
    assert.equal(summary.state, 'FAILED');
    assert.match(summary.nodes[0].error!, /asked to fail/);
    const data = await (await MetadataStore.open(join(dir, '.tributary', 'metadata.json'))).read();
    const failedOut = data.artifacts.find((a) => a.uri.includes(join('bad', 'examples')))!;
    assert.equal(failedOut.state, 'ABANDONED');
    assert.ok(!existsSync(failedOut.uri), 'half-written output removed');
  });

  it('cancellation marks running executions CANCELED and does not start descendants', async () => {
    const controller = new AbortController();
    const events: RunEvent[] = [];
    setTimeout(() => controller.abort(new Error('SIGINT')), 150);
    const summary = await runPipeline(plan(dir, [src('slow', { delay_ms: 5000 }), up('next', 'slow')]), {
      pool,
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    assert.equal(summary.state, 'CANCELED');
    assert.equal(summary.nodes[0].state, 'CANCELED');
    assert.notEqual(summary.nodes[1].state, 'COMPLETE');
    assert.ok(summary.wallMs < 2000);
    const data = await (await MetadataStore.open(join(dir, '.tributary', 'metadata.json'))).read();
    assert.deepEqual(data.executions.map((e) => e.state), ['CANCELED']);
    assert.ok(!events.some((e) => e.type === 'node-state' && e.nodeId === 'next' && e.state === 'RUNNING'));
  });

  it('--only and --from reuse upstream outputs from earlier runs', async () => {
    const p = plan(dir, [src('a', { value: 'x' }), up('b', 'a'), up('c', 'b')]);
    await assert.rejects(runPipeline(p, { pool, only: ['b'] }), /a have no successful run yet/);
    await runPipeline(p, { pool });
    const only = await runPipeline(p, { pool, only: ['b'], useCache: false });
    assert.deepEqual(only.nodes.map((n) => [n.id, n.state]), [['b', 'COMPLETE']]);
    const from = await runPipeline(p, { pool, from: 'b', useCache: false });
    assert.deepEqual(from.nodes.map((n) => n.id), ['b', 'c']);
    await assert.rejects(runPipeline(p, { pool, from: 'nope' }), /No node "nope"/);
  });
});

describe('cache', () => {
  let dir: string;
  let pool: WorkerPool;
  before(() => (pool = createPool(1)));
  after(() => pool.close());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-cache-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const states = (s: { nodes: { state: string }[] }) => s.nodes.map((n) => n.state);

  it('hits on an unchanged rerun and records CACHED executions', async () => {
    const p = plan(dir, [src('a'), up('b', 'a')]);
    await runPipeline(p, { pool });
    const second = await runPipeline(p, { pool });
    assert.deepEqual(states(second), ['CACHED', 'CACHED']);
    assert.equal(second.nodes[1].outputs!.statistics.uri, (await runPipeline(p, { pool })).nodes[1].outputs!.statistics.uri);
    const data = await (await MetadataStore.open(join(dir, '.tributary', 'metadata.json'))).read();
    assert.equal(data.executions.filter((e) => e.state === 'CACHED').length, 4);
    const firstRun = data.executions.filter((e) => e.state === 'COMPLETE').map((e) => e.id);
    assert.equal(firstRun.length, 2);
    assert.ok(data.executions.filter((e) => e.state === 'CACHED').every((e) => firstRun.includes(e.cachedFrom!)));
  });

  it('misses on a parameter change, and downstream misses too', async () => {
    await runPipeline(plan(dir, [src('a', { value: 'one' }), up('b', 'a')]), { pool });
    const changed = await runPipeline(plan(dir, [src('a', { value: 'two' }), up('b', 'a')]), { pool });
    assert.deepEqual(states(changed), ['COMPLETE', 'COMPLETE']);
  });

  it('misses when a data file referenced by a path parameter changes', async () => {
    writeFileSync(join(dir, 'data.txt'), 'first');
    const p = plan(dir, [src('a', { data: 'data.txt' }), up('b', 'a')]);
    await runPipeline(p, { pool });
    assert.deepEqual(states(await runPipeline(p, { pool })), ['CACHED', 'CACHED']);
    writeFileSync(join(dir, 'data.txt'), 'second');
    assert.deepEqual(states(await runPipeline(p, { pool })), ['COMPLETE', 'COMPLETE']);
  });

  it('misses when a cached output was deleted from disk', async () => {
    const p = plan(dir, [src('a'), up('b', 'a')]);
    const first = await runPipeline(p, { pool });
    rmSync(first.nodes[1].outputs!.statistics.uri, { recursive: true });
    assert.deepEqual(states(await runPipeline(p, { pool })), ['CACHED', 'COMPLETE']);
  });

  it('misses on a component version change and with --no-cache', async () => {
    const p = plan(dir, [src('a')]);
    await runPipeline(p, { pool });
    assert.deepEqual(states(await runPipeline(p, { pool, useCache: false })), ['COMPLETE']);
    const def = p.registry.get('Source')!;
    const bumped = { ...p, registry: fakeRegistry() };
    (bumped.registry.get('Source')!.spec as { version: string }).version = '2';
    try {
      assert.deepEqual(states(await runPipeline(bumped, { pool })), ['COMPLETE']);
    } finally {
      (def.spec as { version: string }).version = '1';
    }
  });
});

describe('CoreGate (resource classes)', () => {
  it('lets shared nodes overlap, runs exclusive ones one at a time, and never blocks idle ones', async () => {
    const gate = new CoreGate();
    const s1 = await gate.acquire('shared');
    const s2 = await gate.acquire('shared');
    assert.equal(gate.running, 2);
    const order: string[] = [];
    const x1 = gate.acquire('exclusive').then((r) => (order.push('x1'), r));
    const x2 = gate.acquire('exclusive').then((r) => (order.push('x2'), r));
    const s3 = gate.acquire('shared').then((r) => (order.push('s3'), r));
    await gate.acquire('idle');
    s1();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, []);
    s2();
    const r1 = await x1;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['x1']);
    r1();
    (await x2)();
    (await s3)();
    assert.deepEqual(order, ['x1', 'x2', 's3']);
    assert.equal(gate.running, 0);
  });
});
