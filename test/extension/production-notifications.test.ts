/**
 * Issue 6 in the editor: alert/approval RunEvents → notifications (message, severity, buttons), the
 * `approve` command line, and — end to end — a real waiting run decided by that command line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertMessage, RunEvent } from '../../runtime/src/core/run-events.ts';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import type { ExecutionRecord } from '../../runtime/src/core/metadata-types.ts';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import {
  alertNotification,
  AnnouncedApprovals,
  approvalNotification,
  approveArgs,
  reviewArtifactOf,
  waitingApprovals,
  type ApprovalEvent,
} from '../../extension/src/runs/notifications.ts';
import { LineSplitter, parseRunEvent, RunStates } from '../../extension/src/runs/state.ts';

const alert = (over: Partial<AlertMessage>): AlertMessage => ({
  event: 'node_failed',
  pipeline: 'taxi',
  runId: 'r1',
  nodeId: 'trainer',
  severity: 'ERROR',
  title: 'Node failed: trainer',
  text: 'Node trainer (Trainer) failed: out of memory',
  details: {},
  time: '2026-01-01T00:00:00Z',
  ...over,
});

describe('alert events → notifications', () => {
  it('maps each severity to its kind of message, with the alert text', () => {
    const pairs = [
      ['ERROR', 'error'],
      ['WARNING', 'warning'],
      ['INFO', 'info'],
    ] as const;
    for (const [severity, expected] of pairs) {
      const text = `something at ${severity}`;
      const n = alertNotification(alert({ severity, text }))!;
      assert.equal(n.severity, expected);
      assert.ok(n.message.includes(text), n.message);
    }
  });

  it('offers Open Artifact for the artifact an alert names, and always the run log', () => {
    const withArtifact = alertNotification(alert({ event: 'anomalies', severity: 'WARNING', details: { artifactId: 42, errorCount: 0, warningCount: 3 } }))!;
    assert.deepEqual(withArtifact.actions, [
      { title: 'Open Artifact', kind: 'artifact', artifactId: 42 },
      { title: 'Open Run Log', kind: 'runLog' },
    ]);
    const without = alertNotification(alert({ details: { executionId: 7, error: 'boom' } }))!;
    assert.deepEqual(without.actions, [{ title: 'Open Run Log', kind: 'runLog' }]);
    // A non-numeric artifactId (malformed details) is not turned into a button.
    assert.deepEqual(alertNotification(alert({ details: { artifactId: '42' } }))!.actions.map((a) => a.kind), ['runLog']);
  });

  it('leaves approval_needed alerts to the approval notification (one toast, not two)', () => {
    assert.equal(alertNotification(alert({ event: 'approval_needed', severity: 'INFO' })), undefined);
  });
});

describe('approval events → notifications', () => {
  const waiting: ApprovalEvent = { type: 'approval', runId: 'r9', nodeId: 'approve_model', executionId: 12, state: 'WAITING', deadline: '2026-01-02T10:00:00Z' };

  it('WAITING: Approve, Reject and Open Evaluation for the artifact under review', () => {
    const n = approvalNotification(waiting, 5);
    assert.equal(n.severity, 'info');
    assert.match(n.message, /approve_model in run r9 waits for your approval/);
    assert.ok(n.message.includes(new Date(waiting.deadline!).toLocaleString()), 'the deadline is shown');
    assert.deepEqual(n.actions, [
      { title: 'Approve', kind: 'approve' },
      { title: 'Reject', kind: 'reject' },
      { title: 'Open Evaluation', kind: 'review', artifactId: 5 },
    ]);
    assert.deepEqual(approvalNotification(waiting).actions.map((a) => a.kind), ['approve', 'reject'], 'nothing to open without an input');
  });

  it('a decision is reported without buttons', () => {
    const rejected = approvalNotification({ ...waiting, state: 'REJECTED', by: 'bob', comment: 'AUC dropped' });
    assert.equal(rejected.severity, 'warning');
    assert.match(rejected.message, /rejected by bob: AUC dropped/);
    assert.deepEqual(rejected.actions, []);
    assert.equal(approvalNotification({ ...waiting, state: 'APPROVED' }).severity, 'info');
  });

  it('the artifact under review: the evaluation input, else the blessing, else any input', () => {
    const ev = (executionId: number, artifactId: number, type: 'INPUT' | 'OUTPUT', key: string) => ({ executionId, artifactId, type, key, time: '' });
    const data = {
      events: [ev(12, 3, 'INPUT', 'model'), ev(12, 4, 'INPUT', 'blessing'), ev(12, 5, 'INPUT', 'evaluation'), ev(12, 9, 'OUTPUT', 'blessing'), ev(13, 6, 'INPUT', 'evaluation')],
    } as Pick<StoreData, 'events'>;
    assert.equal(reviewArtifactOf(data, 12), 5);
    assert.equal(reviewArtifactOf({ events: data.events.filter((e) => e.key !== 'evaluation') }, 12), 4);
    assert.equal(reviewArtifactOf({ events: data.events.filter((e) => e.artifactId === 3) }, 12), 3);
    assert.equal(reviewArtifactOf(data, 99), undefined);
  });

  describe('requests found in a store (runs started outside this window)', () => {
    const execution = (id: number, over: Partial<ExecutionRecord>): ExecutionRecord => ({
      id,
      component: 'ManualApproval',
      componentVersion: '1',
      nodeId: `gate${id}`,
      runId: 'r9',
      state: 'WAITING',
      params: {},
      cacheKey: '',
      startedAt: '',
      pid: 1,
      logFile: '',
      properties: { approval: { requestedAt: '2026-01-01T00:00:00Z' } },
      ...over,
    } as ExecutionRecord);
    const executions = [
      execution(1, { properties: { approval: { requestedAt: '2026-01-01T00:00:00Z', deadline: '2026-01-02T10:00:00Z' } } }),
      execution(2, { state: 'COMPLETE', properties: { approval: { requestedAt: '', decision: 'APPROVED', by: 'ann' } } }),
      // Decided, and the waiting process has not noticed yet: nothing left to ask.
      execution(3, { properties: { approval: { requestedAt: '', decision: 'REJECTED', by: 'bob' } } }),
      execution(4, { component: 'Trainer', state: 'RUNNING', properties: {} }),
      execution(5, { runId: 'r10' }),
    ];

    it('every undecided WAITING ManualApproval, as the event its run emitted', () => {
      assert.deepEqual(waitingApprovals({ executions }), [
        { type: 'approval', runId: 'r9', nodeId: 'gate1', executionId: 1, state: 'WAITING', deadline: '2026-01-02T10:00:00Z' },
        { type: 'approval', runId: 'r10', nodeId: 'gate5', executionId: 5, state: 'WAITING' },
      ]);
    });

    it('each request is announced once, whether its run\'s event or the store shows it first', () => {
      const announced = new AnnouncedApprovals();
      assert.equal(announced.claim('/w/a/metadata.json', 5), true, 'the event of a run of this window');
      assert.deepEqual(announced.fresh('/w/a/metadata.json', { executions }).map((a) => a.executionId), [1], 'the store then adds only the other run');
      assert.deepEqual(announced.fresh('/w/a/metadata.json', { executions }), [], 'a later store change: nothing new');
      assert.equal(announced.claim('/w/a/metadata.json', 1), false, 'its event after the store: no second toast');
      assert.deepEqual(announced.fresh('/w/a/metadata.json', { executions: [...executions, execution(6, {})] }).map((a) => a.executionId), [6]);
      // Execution ids count per store: another pipeline's execution 1 is another request.
      assert.deepEqual(announced.fresh('/w/b/metadata.json', { executions }).map((a) => a.executionId), [1, 5]);
    });
  });

  it('RunStates keeps a node RUNNING but marks it waiting, then records the decision', () => {
    const states = new RunStates(() => 1000);
    states.apply('p', { type: 'run-start', runId: 'r9', nodes: ['approve_model'] });
    states.apply('p', { type: 'node-state', nodeId: 'approve_model', state: 'RUNNING' });
    states.apply('p', waiting);
    let node = states.current('p')!.nodes.approve_model;
    assert.equal(node.state, 'running');
    assert.equal(node.approval, 'WAITING');
    assert.equal(node.message, 'waiting for approval');
    states.apply('p', { ...waiting, state: 'APPROVED', by: 'ann' });
    node = states.current('p')!.nodes.approve_model;
    assert.equal(node.approval, 'APPROVED');
    assert.equal(node.message, 'approved by ann');
  });
});

describe('approve command line', () => {
  it('RUN NODE [FILE] [--reject] [--comment TEXT], in the order the CLI declares them', () => {
    assert.deepEqual(approveArgs({ runId: 'r1', nodeId: 'gate', reject: false }), ['approve', 'r1', 'gate']);
    assert.deepEqual(approveArgs({ runId: 'r1', nodeId: 'gate', file: '/p/a.pipeline.yaml', reject: true, comment: '  recall too low ' }), [
      'approve',
      'r1',
      'gate',
      '/p/a.pipeline.yaml',
      '--reject',
      '--comment',
      'recall too low',
    ]);
    // An empty comment (the input box left blank) adds nothing.
    assert.deepEqual(approveArgs({ runId: 'r1', nodeId: 'gate', reject: false, comment: '   ' }), ['approve', 'r1', 'gate']);
    assert.throws(() => approveArgs({ runId: '', nodeId: 'gate', reject: false }), /run id/);
  });

  describe('against a real waiting run', function () {
    this.timeout(90_000);
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-ext-approve-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('the WAITING event becomes Approve/Reject buttons; the built command line rejects the node and the run goes on', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/ops/approval-child.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const events: RunEvent[] = [];
      const lines = new LineSplitter();
      let onEvent = () => {};
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of lines.push(chunk)) {
          const e = parseRunEvent(line);
          if (e) events.push(e);
        }
        onEvent();
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const find = () => events.find((e): e is ApprovalEvent => e.type === 'approval' && e.state === 'WAITING');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no WAITING approval event within 60 s')), 60_000);
        onEvent = () => find() && (clearTimeout(timer), resolve());
        onEvent();
      });
      const waiting = find()!;
      assert.equal(waiting.nodeId, 'approval');
      // A window that did not start this run finds the same request in the store.
      const stored = readStoreView(join(dir, '.tributary', 'metadata'))!;
      assert.deepEqual(waitingApprovals(stored), [waiting]);

      // What the notification offers for it: the blessing wired into the node (read independently here).
      const data = readStoreView(join(dir, '.tributary', 'metadata'))!;
      const checks = data.executions.find((e) => e.nodeId === 'checks' && e.runId === waiting.runId)!;
      const blessingId = data.events.find((e) => e.executionId === checks.id && e.type === 'OUTPUT' && e.key === 'blessing')!.artifactId;
      const n = approvalNotification(waiting, reviewArtifactOf(data, waiting.executionId));
      assert.deepEqual(n.actions.map((a) => a.title), ['Approve', 'Reject', 'Open Evaluation']);
      assert.deepEqual(n.actions[2], { title: 'Open Evaluation', kind: 'review', artifactId: blessingId });

      // Reject through the CLI exactly as the extension would call it.
      writeFileSync(join(dir, 'ops.pipeline.yaml'), 'name: ops\nroot: .tributary\nnodes: {}\n');
      const args = approveArgs({ runId: waiting.runId, nodeId: waiting.nodeId, file: join(dir, 'ops.pipeline.yaml'), reject: true, comment: 'recall too low' });
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', ...args, '--by', 'erin'], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /approval in run .*: rejected by erin \(recall too low\)/);

      // The waiting process picks the decision up: REJECTED event, node failed, push never runs.
      await exited;
      const decided = events.find((e) => e.type === 'approval' && e.state !== 'WAITING') as ApprovalEvent | undefined;
      assert.equal(decided?.state, 'REJECTED');
      assert.equal(decided?.comment, 'recall too low');
      const finalStates = new Map(events.filter((e) => e.type === 'node-state').map((e) => [(e as { nodeId: string }).nodeId, (e as { state: string }).state]));
      assert.equal(finalStates.get('approval'), 'FAILED');
      assert.notEqual(finalStates.get('push'), 'COMPLETE');
    });
  });
});
