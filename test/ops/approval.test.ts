import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunSummary } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { RunEvent } from '../../runtime/src/core/run-events.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { recoverAbandoned } from '../../runtime/src/metadata/records.ts';
import { decide } from '../../runtime/src/components/manual-approval/approval-records.ts';
import { approvalNodes, opsPlan } from '../helpers/fake-components.ts';

const storeOf = (dir: string) => MetadataStore.open(join(dir, '.tributary', 'metadata.json'));
const states = (s: RunSummary) => Object.fromEntries(s.nodes.map((n) => [n.id, n.state]));

/** Resolves once the store shows the node's execution WAITING (bounded). */
async function waitingExecution(dir: string, nodeId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const data = await (await storeOf(dir)).read();
      const e = data.executions.find((x) => x.nodeId === nodeId && x.state === 'WAITING');
      if (e) return e;
    } catch {
      // not created yet
    }
    assert.ok(Date.now() < deadline, `${nodeId} never became WAITING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ManualApproval', function () {
  this.timeout(60_000);
  let dir: string;
  let pool: WorkerPool;
  before(() => (pool = createPool(1)));
  after(() => pool.close());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-approval-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('waits (WAITING in the store) until approved; the blessing records who, when and why; the branch continues', async () => {
    const events: RunEvent[] = [];
    const running = runPipeline(opsPlan(dir, approvalNodes({})), { pool, onEvent: (e) => events.push(e) });
    const waiting = await waitingExecution(dir, 'approval');
    assert.ok(!events.some((e) => e.type === 'node-state' && e.nodeId === 'push' && e.state === 'RUNNING'), 'push waits');
    const store = await storeOf(dir);
    await store.transaction(waiting.runId, (data) => decide(data, waiting.runId, 'approval', 'APPROVED', 'alice', 'AUC looks fine'));
    const summary = await running;
    assert.equal(summary.state, 'COMPLETE');
    assert.deepEqual(states(summary), { train: 'COMPLETE', side: 'COMPLETE', checks: 'COMPLETE', approval: 'COMPLETE', push: 'COMPLETE' });
    const blessing = summary.nodes.find((n) => n.id === 'approval')!.outputs!.blessing;
    assert.equal(blessing.properties.blessed, true);
    assert.equal(blessing.properties.approvedBy, 'alice');
    assert.equal(blessing.properties.comment, 'AUC looks fine');
    const file = JSON.parse(readFileSync(join(blessing.uri, 'blessing.json'), 'utf8'));
    assert.equal(file.approval.decision, 'APPROVED');
    assert.equal(file.model.uri, summary.nodes.find((n) => n.id === 'train')!.outputs!.model.uri);
    assert.equal(summary.nodes.find((n) => n.id === 'push')!.outputs!.pushed_model.properties.pushed, true);
    const approvals = events.filter((e): e is Extract<RunEvent, { type: 'approval' }> => e.type === 'approval');
    assert.deepEqual(approvals.map((e) => e.state), ['WAITING', 'APPROVED']);
    assert.equal(approvals[1].by, 'alice');
  });

  it('a rejection fails the node and stops only its descendants', async () => {
    const running = runPipeline(opsPlan(dir, approvalNodes({})), { pool });
    const waiting = await waitingExecution(dir, 'approval');
    await (await storeOf(dir)).transaction(waiting.runId, (data) => decide(data, waiting.runId, 'approval', 'REJECTED', 'bob', 'slice regression'));
    const summary = await running;
    assert.equal(summary.state, 'FAILED');
    assert.deepEqual(states(summary), { train: 'COMPLETE', side: 'COMPLETE', checks: 'COMPLETE', approval: 'FAILED', push: 'SKIPPED' });
    assert.match(summary.nodes.find((n) => n.id === 'approval')!.error!, /rejected by bob at .*: slice regression/);
    // Resuming does not ask again: the rejection stands.
    const resumed = await runPipeline(opsPlan(dir, approvalNodes({})), { pool, resume: summary.runId });
    assert.deepEqual(states(resumed), states(summary));
    assert.equal((await (await storeOf(dir)).read()).executions.filter((e) => e.nodeId === 'approval').length, 1);
  });

  it('the timeout rejects', async () => {
    const t0 = performance.now();
    const summary = await runPipeline(opsPlan(dir, approvalNodes({ timeout_s: 0.3 })), { pool });
    const ms = performance.now() - t0;
    assert.equal(states(summary).approval, 'FAILED');
    assert.equal(states(summary).push, 'SKIPPED');
    assert.match(summary.nodes.find((n) => n.id === 'approval')!.error!, /rejected by timeout .*no decision within 0.3 s/);
    assert.ok(ms >= 300, `timed out after ${ms.toFixed(0)} ms`);
  });

  it('a model not blessed upstream is passed on unblessed without asking', async () => {
    const nodes = approvalNodes({});
    nodes.find((n) => n.id === 'checks')!.params = { blessed: false };
    const summary = await runPipeline(opsPlan(dir, nodes), { pool });
    assert.equal(states(summary).approval, 'COMPLETE');
    assert.equal(summary.nodes.find((n) => n.id === 'approval')!.outputs!.blessing.properties.blessed, false);
    assert.equal(summary.nodes.find((n) => n.id === 'push')!.outputs!.pushed_model.properties.pushed, false);
  });

  it('Ctrl-C leaves the node WAITING; recovery does not abandon it; resume completes the branch', async () => {
    const controller = new AbortController();
    const running = runPipeline(opsPlan(dir, approvalNodes({})), { pool, signal: controller.signal });
    const waiting = await waitingExecution(dir, 'approval');
    controller.abort(new Error('Ctrl-C'));
    const paused = await running;
    assert.equal(paused.state, 'WAITING');
    assert.equal(states(paused).approval, 'WAITING');
    const store = await storeOf(dir);
    // Even if its process is gone, a WAITING execution is not abandoned.
    assert.equal(await store.recover(() => false), 0);
    assert.equal(await store.transaction(paused.runId, (data) => recoverAbandoned(data, () => false)), 0);
    assert.equal((await store.read()).executions.find((e) => e.id === waiting.id)!.state, 'WAITING');
    await store.transaction(paused.runId, (data) => decide(data, paused.runId, 'approval', 'APPROVED', 'carol'));
    const resumed = await runPipeline(opsPlan(dir, approvalNodes({})), { pool, resume: paused.runId });
    assert.equal(resumed.runId, paused.runId);
    assert.equal(resumed.state, 'COMPLETE');
    assert.equal(resumed.nodes.find((n) => n.id === 'approval')!.executionId, waiting.id, 'the same execution completed');
    assert.equal(resumed.nodes.find((n) => n.id === 'train')!.executionId, paused.nodes.find((n) => n.id === 'train')!.executionId, 'finished nodes reused');
  });

  it('a Ctrl-C that lands before the wait starts still stops the wait (it used to poll forever)', async function () {
    this.timeout(15_000);
    const controller = new AbortController();
    // The WAITING event is emitted after the request is recorded and before the first poll's sleep:
    // aborting there is the race a loaded machine hits between recording the request and sleeping.
    const paused = await runPipeline(opsPlan(dir, approvalNodes({})), {
      pool,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'approval' && e.state === 'WAITING') controller.abort(new Error('Ctrl-C'));
      },
    });
    assert.equal(paused.state, 'WAITING');
    assert.equal(states(paused).approval, 'WAITING');
  });

  it('across a process restart: a child run waits, is killed, approve (CLI) + resume in a new process completes the branch', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/ops/approval-child.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const waiting = await waitingExecution(dir, 'approval', 45_000);
    assert.equal(waiting.pid, child.pid);
    child.kill('SIGKILL');
    await exited;
    // The CLI records the decision (the pipeline file only tells it where the store is).
    writeFileSync(join(dir, 'ops.pipeline.yaml'), 'name: ops\nroot: .tributary\nnodes: {}\n');
    const approve = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'runtime/src/cli/main.ts', 'approve', waiting.runId, 'approval', join(dir, 'ops.pipeline.yaml'), '--comment', 'ship it', '--by', 'dana'],
      { encoding: 'utf8' },
    );
    assert.equal(approve.status, 0, approve.stderr);
    assert.match(approve.stdout, /approved by dana \(ship it\)/);
    assert.match(approve.stdout, /No process is waiting on it any more/);
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'approve', waiting.runId, 'approval', join(dir, 'ops.pipeline.yaml')], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already approved by dana|not waiting/);

    const resume = spawnSync(process.execPath, ['--import', 'tsx', 'test/ops/approval-child.ts', dir, waiting.runId], { encoding: 'utf8' });
    assert.equal(resume.status, 0, resume.stderr);
    const lines = resume.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.at(-1).summary as RunSummary;
    assert.equal(summary.state, 'COMPLETE');
    assert.deepEqual(states(summary), { train: 'COMPLETE', side: 'COMPLETE', checks: 'COMPLETE', approval: 'COMPLETE', push: 'COMPLETE' });
    assert.equal(summary.nodes.find((n) => n.id === 'approval')!.executionId, waiting.id);
    assert.equal(summary.nodes.find((n) => n.id === 'approval')!.outputs!.blessing.properties.approvedBy, 'dana');
    const data = await (await storeOf(dir)).read();
    assert.equal(data.executions.filter((e) => e.nodeId === 'train').length, 1, 'nothing before the approval ran twice');
    assert.equal(data.contexts.find((c) => c.type === 'pipeline_run' && c.name === waiting.runId)!.properties.state, 'COMPLETE');
  });
});
