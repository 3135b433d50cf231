import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer } from '../../runtime/src/serving/server.ts';
import { readIndex, writeIndex } from '../../runtime/src/serving/registry-index.ts';
import { setTraffic } from '../../runtime/src/serving/traffic.ts';
import { LATENCY_BUCKETS } from '../../runtime/src/serving/metrics.ts';
import { sigmoid, writeLogisticBundle } from './fixtures.ts';

/** Prometheus text → samples; every non-comment line must be `name{labels} value`. */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return samples;
}

describe('A/B serving: traffic split, metrics, prediction log', function () {
  this.timeout(120_000);
  let registry: string;
  let server: ModelServer;
  let base: string;
  let closed = false;
  const logFile = () => join(registry, 'predictions.jsonl');
  // Version 1: sigmoid(2·x1 − x2); version 2: sigmoid(x1 + x2 + 0.5). The answer tells which served.
  const row = { x1: 0.5, x2: -1 };
  const byVersion: Record<number, number> = { 1: sigmoid(2 * 0.5 + 1), 2: sigmoid(0.5 - 1 + 0.5) };

  before(async () => {
    registry = mkdtempSync(join(tmpdir(), 'ab-registry-'));
    await writeLogisticBundle(join(registry, 'taxi', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    await writeLogisticBundle(join(registry, 'taxi', '2'), { features: ['x1', 'x2'], weights: [1, 1], bias: 0.5 });
    writeIndex(registry, 'taxi', { labels: { stable: 1, canary: 2 } });
    setTraffic(registry, 'taxi', ['stable=90', 'canary=10']);
    server = new ModelServer(registry, { port: 0, host: '127.0.0.1', rescanMs: 200, predictionLog: join(registry, 'predictions.jsonl') });
    base = `http://127.0.0.1:${(await server.start()).port}`;
  });
  after(async () => {
    if (!closed) await server.close();
    rmSync(registry, { recursive: true, force: true });
  });

  /** One unversioned predict: the version that answered, checked against its own formula. */
  async function predict(headers: Record<string, string> = {}): Promise<{ version: number; arm: string }> {
    const r = await fetch(`${base}/v1/models/taxi:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ instances: [row] }),
    });
    assert.equal(r.status, 200);
    const version = Number(r.headers.get('x-tributary-version'));
    const body = (await r.json()) as { predictions: number[][] };
    assert.ok(Math.abs(body.predictions[0][0] - byVersion[version]) < 1e-6, `version ${version} answered with its own weights`);
    return { version, arm: r.headers.get('x-tributary-arm') ?? '' };
  }

  async function many(n: number, concurrency: number, headers: (i: number) => Record<string, string> = () => ({})) {
    const out: { version: number; arm: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          out[i] = await predict(headers(i));
        }
      }),
    );
    return out;
  }

  const counts = { 1: 0, 2: 0 } as Record<number, number>;

  it('splits 2000 unkeyed requests 90/10 within 4σ (a chance failure 1 in 16,000), arms = labels', async () => {
    const t0 = performance.now();
    const results = await many(2000, 8);
    const ms = performance.now() - t0;
    for (const r of results) counts[r.version]++;
    const canary = results.filter((r) => r.arm === 'canary').length;
    assert.equal(canary, counts[2], 'the canary arm is version 2');
    const sigma = Math.sqrt(2000 * 0.1 * 0.9);
    assert.ok(Math.abs(canary - 200) <= 4 * sigma, `canary got ${canary} of 2000 (expected 200 ± ${(4 * sigma).toFixed(0)})`);
    console.log(`      2000 predicts in ${ms.toFixed(0)} ms over loopback; canary ${canary}`);
  });

  it('routes a request key to the same arm every time, by a hash of the key', async () => {
    for (let k = 0; k < 40; k++) {
      const key = `user-${k}`;
      const point = createHash('sha256').update(key).digest().readUIntBE(0, 6) / 2 ** 48;
      const expected = point < 0.9 ? 1 : 2;
      const seen = await Promise.all([0, 1, 2].map(() => predict({ 'x-tributary-key': key })));
      for (const s of seen) assert.equal(s.version, expected, `key ${key}`);
      counts[expected] += 3;
    }
  });

  it('exposes per-version counters and latency histograms at /metrics (Prometheus text)', async () => {
    const bad = await fetch(`${base}/v1/models/taxi/versions/2:predict`, { method: 'POST', body: JSON.stringify({ instances: [{ nope: 1 }] }) });
    assert.equal(bad.status, 400);
    const r = await fetch(`${base}/metrics`);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await r.text());
    const sum = (name: string, version: string) => samples.filter((s) => s.name === name && s.labels.version === version).reduce((a, s) => a + s.value, 0);
    assert.equal(sum('tributary_predict_requests_total', '1'), counts[1]);
    assert.equal(sum('tributary_predict_requests_total', '2'), counts[2] + 1);
    assert.equal(sum('tributary_predict_errors_total', '1'), 0);
    assert.equal(sum('tributary_predict_errors_total', '2'), 1);
    // Every series' histogram is cumulative, ends at +Inf = _count = its request counter.
    const requestSeries = samples.filter((s) => s.name === 'tributary_predict_requests_total');
    for (const series of requestSeries) {
      const same = (s: { labels: Record<string, string> }) => ['model', 'version', 'arm'].every((k) => s.labels[k] === series.labels[k]);
      const buckets = samples.filter((s) => s.name === 'tributary_predict_latency_seconds_bucket' && same(s));
      assert.deepEqual(buckets.map((b) => b.labels.le), [...LATENCY_BUCKETS.map(String), '+Inf']);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value);
      assert.equal(buckets.at(-1)!.value, series.value);
      assert.equal(samples.find((s) => s.name === 'tributary_predict_latency_seconds_count' && same(s))!.value, series.value);
    }
  });

  it('reloads new weights from index.json without a restart', async () => {
    setTraffic(registry, 'taxi', ['stable=0', 'canary=100']);
    const deadline = Date.now() + 10_000;
    while ((await predict()).version !== 2) assert.ok(Date.now() < deadline, 'the new split was not picked up within 10 s');
    const after = await many(60, 4);
    assert.ok(after.every((r) => r.version === 2 && r.arm === 'canary'));
    // The Pusher rewrites index.json with readIndex/writeIndex: the split survives it.
    const index = readIndex(registry, 'taxi');
    index.labels.stable = 2;
    writeIndex(registry, 'taxi', index);
    assert.deepEqual(readIndex(registry, 'taxi').traffic?.weights, { stable: 0, canary: 100 });
  });

  it('logs every predict as a JSON line with model, version, arm and predictions', async () => {
    await server.close(); // flushes the log
    closed = true;
    const lines = readFileSync(logFile(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const routed = lines.filter((l) => l.arm !== '');
    assert.equal(lines.length - routed.length, 1, 'one request named its version');
    // 2000 unkeyed + 120 keyed + the reload poll (≥ 1) + 60 after it.
    assert.ok(routed.length >= 2000 + 120 + 1 + 60, `${routed.length} routed lines`);
    assert.equal(routed.filter((l) => l.key !== undefined).length, 120);
    for (const l of routed) {
      assert.equal(l.model, 'taxi');
      assert.ok(Math.abs(l.predictions[0][0] - byVersion[l.version]) < 1e-6);
      assert.deepEqual(l.instances, [row]);
    }
    const error = lines.find((l) => l.status === 400)!;
    assert.equal(error.version, 2);
    assert.match(error.error, /unknown feature "nope"/);
  });
});
