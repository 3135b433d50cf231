import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import type { AlertMessage, RunEvent } from '../../runtime/src/core/run-events.ts';
import { alertLogFile } from '../../runtime/src/alerts/dispatcher.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { validatePipeline } from '../../runtime/src/pipeline/validate.ts';
import { builtinRegistry } from '../../runtime/src/components/index.ts';
import { node, opsPlan } from '../helpers/fake-components.ts';

/** A loopback webhook receiver that answers the first `failFirst` posts with 500. */
async function receiver(failFirst: number): Promise<{ url: string; bodies: any[]; attempts: number; server: Server }> {
  const state = { url: '', bodies: [] as any[], attempts: 0, server: undefined as unknown as Server };
  state.server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      state.attempts++;
      if (state.attempts <= failFirst) {
        res.writeHead(500).end('try later');
        return;
      }
      state.bodies.push(JSON.parse(text));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', () => r()));
  const port = (state.server.address() as { port: number }).port;
  state.url = `http://127.0.0.1:${port}/hooks/T000/B000`;
  return state;
}

describe('alerts', function () {
  this.timeout(30_000);
  let dir: string;
  let pool: WorkerPool;
  before(() => (pool = createPool(1)));
  after(() => pool.close());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trib-alerts-'))));
  afterEach(() => {
    delete process.env.TRIB_TEST_HOOK;
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts Slack-shaped node and run failures to a webhook from an env variable, retrying a failed first attempt', async () => {
    const hook = await receiver(1);
    process.env.TRIB_TEST_HOOK = hook.url;
    try {
      const plan = opsPlan(dir, [node('train', 'FakeModel', { fail: true }), node('side', 'FakeModel')], [
        { on: ['node_failed', 'run_failed'], to: [{ webhook: { url_env: 'TRIB_TEST_HOOK' } }] },
      ]);
      const summary = await runPipeline(plan, { pool, alerts: { backoffMs: 20 } });
      assert.equal(summary.state, 'FAILED');
      assert.equal(summary.nodes.find((n) => n.id === 'side')!.state, 'COMPLETE', 'alerting changes nothing about the run');
      // 2 alerts, 3 posts: the first one failed (500) and was sent again.
      assert.equal(hook.attempts, 3);
      assert.equal(hook.bodies.length, 2);
      const texts = hook.bodies.map((b) => b.text as string).sort();
      assert.match(texts[0], /\[ops\] Node failed: train: Node train \(FakeModel\) failed: training diverged/);
      assert.match(texts[1], /\[ops\] Run failed/);
      for (const b of hook.bodies) {
        assert.ok(Array.isArray(b.blocks) && b.blocks.length > 0, 'blocks for Slack');
        assert.ok(b.blocks.every((block: any) => typeof block.type === 'string'));
      }
      const log = readFileSync(alertLogFile(plan.root, summary.runId), 'utf8');
      assert.match(log, /failed node_failed \(train\) → webhook \(\$TRIB_TEST_HOOK\) \(attempt 1\/4\): webhook answered 500|failed run_failed → webhook .* \(attempt 1\/4\): webhook answered 500/);
      assert.match(log, /sent .* on attempt 2/);
    } finally {
      hook.server.close();
    }
  });

  it('gives up after the attempts without failing the run, and logs why', async () => {
    const hook = await receiver(100);
    writeFileSync(join(dir, 'hook-url'), `${hook.url}\n`);
    try {
      const plan = opsPlan(dir, [node('train', 'FakeModel'), node('checks', 'FakeChecks', { blessed: false }, { model: 'train.model' })], [
        { on: ['not_blessed'], to: [{ webhook: { url_file: 'hook-url' } }] },
      ]);
      const started = performance.now();
      const summary = await runPipeline(plan, { pool, alerts: { attempts: 3, backoffMs: 20 } });
      assert.equal(summary.state, 'COMPLETE');
      assert.equal(hook.attempts, 3);
      assert.ok(performance.now() - started < 5000);
      const log = readFileSync(alertLogFile(plan.root, summary.runId), 'utf8');
      assert.match(log, /gave up not_blessed \(checks\) → webhook \(hook-url\) \(attempt 3\/3\): webhook answered 500/);
    } finally {
      hook.server.close();
    }
  });

  it('runs a command with the alert JSON on stdin; anomalies fire only at or above the rule severity', async () => {
    const out = join(dir, 'alerts.jsonl');
    // No shell: the program and its args as written. It appends stdin and the env copy as one line.
    const script = `const fs=require('fs');const s=fs.readFileSync(0,'utf8');fs.appendFileSync(process.argv[1], JSON.stringify({stdin:JSON.parse(s),env:JSON.parse(process.env.TRIBUTARY_ALERT)})+'\\n')`;
    const command = { command: [process.execPath, '-e', script, out] };
    const plan = opsPlan(
      dir,
      [
        node('train', 'FakeModel'),
        node('warn_only', 'FakeChecks', { warnings: 3 }, { model: 'train.model' }),
        node('errors', 'FakeChecks', { errors: 2, warnings: 1 }, { model: 'train.model' }),
        node('push', 'FakePush', {}, { model: 'train.model', blessing: 'errors.blessing' }),
      ],
      [
        { on: ['anomalies'], severity: 'ERROR', to: [command] },
        { on: ['pushed'], to: [command] },
      ],
    );
    const events: RunEvent[] = [];
    const summary = await runPipeline(plan, { pool, onEvent: (e) => events.push(e) });
    assert.equal(summary.state, 'COMPLETE');
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stdin: AlertMessage; env: AlertMessage });
    for (const l of lines) assert.deepEqual(l.stdin, l.env);
    const alerts = lines.map((l) => l.stdin).sort((a, b) => a.event.localeCompare(b.event));
    assert.deepEqual(alerts.map((a) => [a.event, a.nodeId, a.severity]), [
      ['anomalies', 'errors', 'ERROR'],
      ['pushed', 'push', 'INFO'],
    ]);
    assert.deepEqual([alerts[0].details.errorCount, alerts[0].details.warningCount], [2, 1]);
    assert.equal(alerts[1].details.version, 7);
    assert.equal(alerts[0].runId, summary.runId);
    assert.ok(!events.some((e) => e.type === 'alert'), 'no notification target, no alert event');
  });

  it('a notification target becomes an alert RunEvent; a cache hit does not alert again', async () => {
    const plan = opsPlan(dir, [node('train', 'FakeModel'), node('checks', 'FakeChecks', { warnings: 1 }, { model: 'train.model' })], [
      { on: ['anomalies'], nodes: ['checks'], to: [{ notification: true }] },
    ]);
    const first: RunEvent[] = [];
    await runPipeline(plan, { pool, onEvent: (e) => first.push(e) });
    const alerts = first.filter((e): e is Extract<RunEvent, { type: 'alert' }> => e.type === 'alert');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].alert.event, 'anomalies');
    assert.equal(alerts[0].alert.severity, 'WARNING');
    const second: RunEvent[] = [];
    await runPipeline(plan, { pool, onEvent: (e) => second.push(e) });
    assert.ok(second.some((e) => e.type === 'node-state' && e.state === 'CACHED'));
    assert.equal(second.filter((e) => e.type === 'alert').length, 0);
  });

  describe('pipeline file', () => {
    const validate = (alerts: string) => {
      const text = `name: p\nnodes:\n  gen:\n    component: CsvExampleGen\n    params: { input: data.csv }\n${alerts}`;
      const parsed = parsePipeline(text, join(tmpdir(), 'p.pipeline.yaml'));
      return { parsed, diagnostics: validatePipeline(parsed, builtinRegistry(), { workspaceRoot: tmpdir() }).filter((d) => d.code !== 'missing-path') };
    };

    it('rejects a literal webhook URL wherever it is written', () => {
      for (const section of [
        'alerts:\n  - on: run_failed\n    to:\n      - webhook: https://hooks.slack.com/services/T0/B0/xyz\n',
        'alerts:\n  - on: run_failed\n    to:\n      - webhook: { url: "https://hooks.slack.com/services/T0/B0/xyz" }\n',
        'alerts:\n  - on: run_failed\n    to:\n      - webhook: { url_env: "https://hooks.slack.com/x" }\n',
      ]) {
        const { diagnostics } = validate(section);
        const d = diagnostics.find((x) => x.code === 'literal-webhook-url');
        assert.ok(d, `rejected: ${section}`);
        assert.equal(d.severity, 'error');
        assert.equal(d.range.start.line, 8, 'at the URL');
      }
    });

    it('accepts env/file webhooks, commands and notifications; reports bad rules at their place', () => {
      const ok = validate(
        'alerts:\n  - on: [run_failed, node_failed]\n    to:\n      - webhook: { url_env: SLACK_URL }\n      - notification: true\n  - on: anomalies\n    severity: error\n    nodes: [gen]\n    to:\n      - command: [./page.sh, --team, ml]\n      - webhook: { url_file: ~/.config/slack-url }\n',
      );
      assert.deepEqual(ok.diagnostics, []);
      assert.deepEqual(ok.parsed.spec.alerts, [
        { on: ['run_failed', 'node_failed'], to: [{ webhook: { url_env: 'SLACK_URL' } }, { notification: true }] },
        { on: ['anomalies'], severity: 'ERROR', nodes: ['gen'], to: [{ command: ['./page.sh', '--team', 'ml'] }, { webhook: { url_file: '~/.config/slack-url' } }] },
      ]);
      const bad = validate('alerts:\n  - on: [run_faild]\n    nodes: [gne]\n    to:\n      - sms: 123\n');
      const codes = bad.diagnostics.map((d) => [d.code, d.range.start.line]);
      assert.deepEqual(codes, [
        ['invalid-alert', 6],
        ['invalid-alert', 9],
      ]);
      assert.match(bad.diagnostics[0].message, /Did you mean "run_failed"/);
      const unknownNode = validate('alerts:\n  - on: node_failed\n    nodes: [gne]\n    to: [{ notification: true }]\n');
      assert.deepEqual(unknownNode.diagnostics.map((d) => [d.code, d.range.start.line]), [['unknown-node', 7]]);
    });
  });
});
