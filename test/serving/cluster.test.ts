/**
 * `tributary serve --workers 2` (node:cluster) from source: both workers answer on one port, and
 * /metrics, the prediction log, hot reload, A/B splits with sticky keys and a clean stop work
 * across them.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIndex } from '../../runtime/src/serving/registry-index.ts';
import { setTraffic } from '../../runtime/src/serving/traffic.ts';
import { SERVERS_DIR } from '../../runtime/src/serving/server-records.ts';
import { startServeCli } from '../helpers/run-cli.ts';
import { sigmoid, writeLogisticBundle } from './fixtures.ts';

interface Answer {
  status: number;
  worker: string;
  version: string;
  arm: string;
  body: string;
}

describe('tributary serve --workers 2', function () {
  this.timeout(180_000);
  let registry: string;
  let server: ChildProcess;
  let port: number;
  const logFile = () => join(registry, 'predictions.jsonl');
  const row = { x1: 0.5, x2: -1 };

  /** One request on a fresh connection, so the cluster's round robin spreads them over the workers. */
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: { ...headers, ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}) } }, (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (c: string) => (data += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, worker: String(res.headers['x-tributary-worker'] ?? ''), version: String(res.headers['x-tributary-version'] ?? ''), arm: String(res.headers['x-tributary-arm'] ?? ''), body: data }),
        );
      });
      req.on('error', reject);
      req.end(text);
    });
  const predict = (path = '/v1/models/taxi:predict', headers: Record<string, string> = {}) => call('POST', path, { instances: [row] }, headers);

  before(async () => {
    registry = mkdtempSync(join(tmpdir(), 'cluster-registry-'));
    await writeLogisticBundle(join(registry, 'taxi', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    writeIndex(registry, 'taxi', { labels: { stable: 1 } });
    let banner: string;
    ({ child: server, port, banner } = await startServeCli(registry, ['--workers', '2', '--prediction-log', logFile()]));
    // The workers predict on wasm, as the Evaluator does (cpu only where wasm does not load).
    assert.match(banner, /\/v1\/models on wasm \(ready in/);
  });
  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
    rmSync(registry, { recursive: true, force: true });
  });

  it('answers from both workers, with the same predictions', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i++) answers.push(await predict());
    assert.deepEqual(new Set(answers.map((a) => a.worker)), new Set(['1', '2']));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(Math.abs(JSON.parse(a.body).predictions[0][0] - sigmoid(2 * 0.5 + 1)) < 1e-6);
    }
  });

  it('sums /metrics over the workers, whichever one is asked', async () => {
    for (let i = 0; i < 4; i++) {
      const m = await call('GET', '/metrics');
      const count = /tributary_predict_requests_total\{model="taxi",version="1",arm=""\} (\d+)/.exec(m.body);
      assert.equal(count?.[1], '10', m.body);
    }
  });

  it('hot-reloads a pushed version and a traffic split in every worker; sticky keys keep their arm', async () => {
    const tmp = join(registry, 'taxi', '.tmp-2');
    await writeLogisticBundle(tmp, { features: ['x1', 'x2'], weights: [1, 1], bias: 0.5 });
    renameSync(tmp, join(registry, 'taxi', '2'));
    writeIndex(registry, 'taxi', { labels: { stable: 1, canary: 2 } });
    setTraffic(registry, 'taxi', ['stable=50', 'canary=50']);
    // Every worker sees the split: requests with a key are answered by both arms across keys,
    // and by one arm for one key, whichever worker answers.
    const deadline = Date.now() + 30_000;
    let armsByKey = new Map<string, Set<string>>();
    let workers = new Set<string>();
    while (Date.now() < deadline) {
      armsByKey = new Map();
      workers = new Set();
      for (let k = 0; k < 8; k++) {
        for (let rep = 0; rep < 3; rep++) {
          const a = await predict('/v1/models/taxi:predict', { 'x-tributary-key': `user-${k}` });
          assert.equal(a.status, 200, a.body);
          workers.add(a.worker);
          armsByKey.set(`user-${k}`, (armsByKey.get(`user-${k}`) ?? new Set()).add(a.arm));
        }
      }
      if ([...armsByKey.values()].every((arms) => arms.size === 1 && !arms.has(''))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(workers, new Set(['1', '2']));
    for (const [key, arms] of armsByKey) assert.equal(arms.size, 1, `${key} got arms ${[...arms].join(', ')}`);
    assert.deepEqual(new Set([...armsByKey.values()].map((a) => [...a][0])), new Set(['stable', 'canary']));
    // A request naming a version still gets it.
    assert.equal((await predict('/v1/models/taxi/versions/2:predict')).version, '2');
  });

  it('stops cleanly on SIGTERM: every predict logged once by the primary, its record removed', async () => {
    const logged = () => (existsSync(logFile()) ? readFileSync(logFile(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    const answered = (await call('GET', '/metrics')).body.match(/tributary_predict_requests_total\{[^}]*\} (\d+)/g)!.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    const records = logged();
    assert.equal(records.length, answered);
    assert.ok(records.every((r) => r.model === 'taxi' && r.status === 200));
    assert.deepEqual(existsSync(join(registry, SERVERS_DIR)) ? readdirSync(join(registry, SERVERS_DIR)) : [], []);
  });
});
