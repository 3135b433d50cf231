import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer, parsePredictRequest } from '../../runtime/src/serving/server.ts';
import { warmupBodies } from '../../runtime/src/serving/warmup.ts';
import type { BundleInfo } from '../../runtime/src/ml/bundle.ts';
import { writeLogisticBundle } from './fixtures.ts';

describe('model warm-up (a version runs predicts before it answers)', () => {
  let registry: string;
  const servers: ModelServer[] = [];

  before(async () => {
    registry = mkdtempSync(join(tmpdir(), 'warmup-'));
    await writeLogisticBundle(join(registry, 'taxi', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(registry, { recursive: true, force: true });
  });

  async function start(options: ConstructorParameters<typeof ModelServer>[1]) {
    const lines: string[] = [];
    const server = new ModelServer(registry, { port: 0, rescanMs: 0, log: (l) => lines.push(l), ...options });
    servers.push(server);
    const { port } = await server.start();
    return { server, lines, base: `http://127.0.0.1:${port}` };
  }
  const predict = (base: string, path: string, instances: unknown[]) =>
    fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify({ instances }), headers: { 'content-type': 'application/json' } });

  it('every body it sends is a valid request for the bundle: each type, lists, missing values, rows and columns', () => {
    const info = {
      rawFeatures: [
        { name: 'f', type: 'FLOAT' },
        { name: 'i', type: 'INT' },
        { name: 's', type: 'STRING' },
        { name: 'tags', type: 'STRING', list: true },
      ],
      label: 'label_xf',
    } as unknown as BundleInfo;
    const bodies = warmupBodies(info);
    const parsed = bodies.map((b) => parsePredictRequest(b, info, 100));
    assert.ok(parsed.some((p) => p.columnar) && parsed.some((p) => p.rows.length > 1));
    const values = parsed.flatMap((p) => p.rows);
    assert.ok(values.some((r) => r.f === null) && values.some((r) => typeof r.f === 'number' && !Number.isInteger(r.f)));
    assert.ok(values.every((r) => r.i === null || Number.isInteger(r.i)));
    assert.ok(values.some((r) => Array.isArray(r.tags)));
  });

  it('a loaded version warms up before the server listens; warm-up predicts are not in /metrics, the batch counts or the prediction log', async () => {
    const log = join(registry, '..', `${registry.split('/').pop()}-predictions.jsonl`);
    const { server, lines, base } = await start({ warmupRequests: 40, predictionLog: log });
    assert.ok(lines.some((l) => /loaded .*taxi\/1 \(warmed up with 40 predicts in \d+ ms\)/.test(l)), lines.join('\n'));
    assert.deepEqual(server.batchStats(), { batches: 0, rows: 0 });
    const r = await predict(base, '/v1/models/taxi:predict', [{ x1: 1, x2: 0.5 }]);
    assert.equal(r.status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^tributary_predict_requests_total\{[^}]*version="1"[^}]*\} 1$/m);
    assert.match(metrics, /^tributary_batches_total\{[^}]*\} 1$/m);
    assert.deepEqual(server.batchStats(), { batches: 1, rows: 1 });
    await server.close();
    const records = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(records.length, 1);
    rmSync(log, { force: true });
  });

  it('a version pushed while serving answers only after its warm-up; requests that came meanwhile wait and are answered', async () => {
    const { base, lines } = await start({ warmupRequests: 400 });
    await writeLogisticBundle(join(registry, 'taxi', '2'), { features: ['x1', 'x2'], weights: [1, 1], bias: 0 });
    try {
      // Asking for version 2 by number finds it (rescan) and waits for its load and warm-up.
      let status = 404;
      for (let i = 0; i < 100 && status === 404; i++) {
        const r = await predict(base, '/v1/models/taxi/versions/2:predict', [{ x1: 1, x2: 1 }]);
        status = r.status;
        if (status === 200) assert.ok(Math.abs(((await r.json()) as { predictions: number[][] }).predictions[0][0] - 1 / (1 + Math.exp(-2))) < 1e-6);
        else await new Promise((res) => setTimeout(res, 50));
      }
      assert.equal(status, 200);
      assert.ok(lines.some((l) => /loaded .*taxi\/2 \(warmed up with \d+ predicts/.test(l)), lines.join('\n'));
    } finally {
      rmSync(join(registry, 'taxi', '2'), { recursive: true, force: true });
    }
  });

  it('a warm-up the model rejects is cut short and logged; the version still serves', async () => {
    const dir = join(registry, 'picky', '1');
    await writeLogisticBundle(dir, { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    // The transform refuses x1 ≥ 5, which the synthetic rows send.
    const module = join(dir, 'transform', 'module.mjs');
    writeFileSync(module, readFileSync(module, 'utf8').replace('return {', 'if (inputs.x1.some((v) => v >= 5)) throw new Error("x1 out of range");\n  return {'));
    try {
      const { lines, base } = await start({ warmupRequests: 200 });
      const cut = lines.find((l) => /warm-up of .*picky\/1 stopped after \d+ of 200 predicts: .*x1 out of range/.test(l));
      assert.ok(cut, lines.join('\n'));
      assert.ok(lines.some((l) => /loaded .*picky\/1/.test(l)));
      const ok = await predict(base, '/v1/models/picky:predict', [{ x1: 1, x2: 0.5 }]);
      assert.equal(ok.status, 200);
    } finally {
      rmSync(join(registry, 'picky'), { recursive: true, force: true });
    }
  });

  it('stops at its time bound however many predicts it was asked for', async () => {
    const t0 = performance.now();
    const { lines } = await start({ warmupRequests: 1_000_000, warmupMaxMs: 300 });
    const line = lines.find((l) => /loaded .*taxi\/1 \(warmed up with \d+ predicts/.test(l));
    assert.ok(line, lines.join('\n'));
    const done = Number(/with (\d+) predicts/.exec(line!)![1]);
    assert.ok(done > 0 && done < 1_000_000, line);
    assert.ok(performance.now() - t0 < 20_000);
  });

  it('warmupRequests 0 turns it off', async () => {
    const { lines } = await start({ warmupRequests: 0 });
    assert.ok(lines.some((l) => /loaded .*taxi\/1$/.test(l)), lines.join('\n'));
  });
});
