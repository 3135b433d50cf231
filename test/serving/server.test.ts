import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { ModelServer, predictionsJson, requestPath } from '../../runtime/src/serving/server.ts';
import { writeIndex } from '../../runtime/src/serving/registry-index.ts';
import { sigmoid, writeLogisticBundle } from './fixtures.ts';

describe('model server (TF Serving REST)', () => {
  let registry: string;
  let server: ModelServer;
  let base: string;
  let host: string;

  before(async () => {
    registry = mkdtempSync(join(tmpdir(), 'registry-'));
    await writeLogisticBundle(join(registry, 'taxi', '1'), { features: ['x1', 'x2'], weights: [2, -1], bias: 0 });
    await writeLogisticBundle(join(registry, 'taxi', '2'), { features: ['x1', 'x2'], weights: [1, 1], bias: 0.5 });
    writeIndex(registry, 'taxi', { labels: { stable: 1, canary: 2 } });
    server = new ModelServer(registry, { port: 0, maxBodyBytes: 64 * 1024, maxInstances: 100, rescanMs: 200 });
    const address = await server.start();
    host = address.host;
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await server.close();
    rmSync(registry, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) =>
    fetch(base + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const json = async (r: Response) => ({ status: r.status, body: (await r.json()) as any });

  it('binds loopback by default', () => assert.equal(host, '127.0.0.1'));

  it('reports model status and metadata', async () => {
    const s = await json(await fetch(`${base}/v1/models/taxi`));
    assert.equal(s.status, 200);
    assert.deepEqual(s.body.model_version_status.map((v: any) => [v.version, v.state]), [['2', 'AVAILABLE'], ['1', 'AVAILABLE']]);
    const m = await json(await fetch(`${base}/v1/models/taxi/versions/1/metadata`));
    assert.equal(m.body.model_spec.version, '1');
    assert.deepEqual(Object.keys(m.body.metadata.signature_def.serving_default.inputs), ['x1', 'x2', 'label']);
  });

  it('predicts rows and columns with the newest version, a version or a label', async () => {
    const rows = [{ x1: 0.5, x2: -1 }, { x1: -2, x2: 0.25 }];
    const latest = await json(await post('/v1/models/taxi:predict', { instances: rows }));
    assert.equal(latest.status, 200);
    rows.forEach((r, i) => assert.ok(Math.abs(latest.body.predictions[i][0] - sigmoid(r.x1 + r.x2 + 0.5)) < 1e-6));
    const v1 = await json(await post('/v1/models/taxi/versions/1:predict', { inputs: { x1: [0.5, -2], x2: [-1, 0.25] } }));
    rows.forEach((r, i) => assert.ok(Math.abs(v1.body.outputs[i][0] - sigmoid(2 * r.x1 - r.x2)) < 1e-6));
    const stable = await json(await post('/v1/models/taxi/labels/stable:predict', { instances: rows }));
    assert.deepEqual(stable.body.predictions, v1.body.outputs);
    // An explicit null is a missing value: the transform fills it with 0. The raw label is not needed.
    const partial = await json(await post('/v1/models/taxi/versions/1:predict', { instances: [{ x1: 0.5, x2: null }] }));
    assert.equal(partial.status, 200);
    assert.ok(Math.abs(partial.body.predictions[0][0] - sigmoid(1)) < 1e-6);
    // An absent key is a client error, named in the message.
    const absent = await json(await post('/v1/models/taxi/versions/1:predict', { instances: [{ x1: 0.5, x2: 1 }, { x1: 0.5 }] }));
    assert.equal(absent.status, 400);
    assert.match(absent.body.error, /instances\[1\] is missing feature "x2" \(send null/);
    const absentColumn = await json(await post('/v1/models/taxi/versions/1:predict', { inputs: { x1: [0.5] } }));
    assert.equal(absentColumn.status, 400);
    assert.match(absentColumn.body.error, /missing feature "x2"/);
  });

  it('answers malformed requests with a 4xx and a message, and keeps serving', async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/v1/models/taxi:predict', '{"instances": [', 400, /Malformed JSON/],
      ['POST', '/v1/models/taxi:predict', { instances: [{ x1: 1, x3: 2 }] }, 400, /unknown feature "x3"/],
      ['POST', '/v1/models/taxi:predict', { instances: [{}] }, 400, /none of the model's features/],
      ['POST', '/v1/models/taxi:predict', { instances: [{ x1: 'a', x2: 1 }] }, 400, /x1 must be a number/],
      ['POST', '/v1/models/taxi:predict', { instances: [{ x1: { a: 1 }, x2: 1 }] }, 400, /must be a number/],
      // JSON.parse reads 1e400 as Infinity, which JSON.stringify would print as null.
      ['POST', '/v1/models/taxi:predict', '{"instances": [{"x1": 1e400, "x2": 1}]}', 400, /instances\[0\]\.x1 must be a finite number \(FLOAT\), got Infinity/],
      ['POST', '/v1/models/taxi:predict', { instances: [] }, 400, /non-empty/],
      ['POST', '/v1/models/taxi:predict', [1, 2], 400, /JSON object/],
      ['POST', '/v1/models/taxi:predict', { instances: [1] }, 400, /instances\[0\] must be an object/],
      ['POST', '/v1/models/taxi:predict', { inputs: { x1: [1, 2], x2: [1] } }, 400, /has 1 values/],
      ['POST', '/v1/models/taxi:predict', { instances: [{ x1: 1, x2: 1 }], inputs: {} }, 400, /exactly one/],
      ['POST', '/v1/models/nope:predict', { instances: [{ x1: 1, x2: 1 }] }, 404, /Model "nope" not found/],
      ['POST', '/v1/models/taxi/versions/9:predict', { instances: [{ x1: 1, x2: 1 }] }, 404, /no version 9/],
      ['POST', '/v1/models/taxi/versions/x:predict', { instances: [{ x1: 1, x2: 1 }] }, 400, /positive integer/],
      ['POST', '/v1/models/taxi/labels/prod:predict', { instances: [{ x1: 1, x2: 1 }] }, 404, /no label "prod"/],
      ['POST', '/v1/models/taxi:predict', { instances: Array(101).fill({ x1: 1, x2: 1 }) }, 413, /limit of 100/],
      ['POST', '/v1/models/taxi:predict', 'x'.repeat(100 * 1024), 413, /exceeds the limit/],
      ['GET', '/v1/models/taxi:predict', undefined, 405, /POST/],
      ['GET', '/v2/whatever', undefined, 404, /No such endpoint/],
      ['GET', '/v1/models/%E0%A4%A', undefined, 400, /Malformed URL/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const r = method === 'GET' ? await fetch(base + path) : await post(path, body);
      const { body: b } = await json(r);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(b)}`);
      assert.match(b.error, message);
    }
    const ok = await post('/v1/models/taxi:predict', { instances: [{ x1: 1, x2: 1 }] });
    assert.equal(ok.status, 200);
  });

  it('reads a body sent in several chunks, a character split across two of them', async () => {
    const body = Buffer.from(JSON.stringify({ instances: [{ x1: 1, x2: 1, 'größe': 2 }] }));
    const cut = body.indexOf(Buffer.from('ö')) + 1; // inside the two bytes of "ö"
    const port = new URL(base).port;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/models/taxi:predict', method: 'POST', headers: { 'content-length': body.length } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, cut));
      setTimeout(() => req.end(body.subarray(cut)), 20);
    });
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.text).error, /unknown feature "größe"/);
  });

  it('writes predictions as JSON.stringify writes them, one array per row', () => {
    const cases: (number | number[])[][] = [[0.5], [1e-7, -0, 3, 1 / 3, 1e21, -2.5e-12], [NaN, Infinity, -Infinity], [[0.1, 0.9], [1, NaN]], []];
    for (const predictions of cases) {
      const shaped = predictions.map((p) => (Array.isArray(p) ? p : [p]));
      assert.equal(predictionsJson('predictions', predictions), JSON.stringify({ predictions: shaped }));
      assert.equal(predictionsJson('outputs', predictions), JSON.stringify({ outputs: shaped }));
    }
  });

  it('takes plain request paths as they are and parses the others as URLs', () => {
    assert.equal(requestPath('/v1/models/taxi:predict'), '/v1/models/taxi:predict');
    assert.equal(requestPath('/v1/models/taxi/versions/2/'), '/v1/models/taxi/versions/2/');
    assert.equal(requestPath('/v1/models/my%20model'), '/v1/models/my model');
    assert.equal(requestPath('/v1/models/./taxi/../taxi'), '/v1/models/taxi');
    assert.equal(requestPath('/v1/models?x=1'), '/v1/models');
    assert.equal(requestPath('/'), '/');
    assert.throws(() => requestPath('/v1/models/%E0%A4%A'), /Malformed URL/);
  });

  it('picks up a version the Pusher adds, without a restart', async () => {
    // As the Pusher does: complete folder under a dot-name, then rename into place.
    const tmp = join(registry, 'taxi', '.tmp-3');
    await writeLogisticBundle(tmp, { features: ['x1', 'x2'], weights: [0, 0], bias: 3 });
    renameSync(tmp, join(registry, 'taxi', '3'));
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      const s = await json(await fetch(`${base}/v1/models/taxi`));
      seen = s.body.model_version_status[0].version === '3' && s.body.model_version_status[0].state === 'AVAILABLE';
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen, 'version 3 was not picked up within 5 s');
    const p = await json(await post('/v1/models/taxi:predict', { instances: [{ x1: 1, x2: 1 }] }));
    assert.ok(Math.abs(p.body.predictions[0][0] - sigmoid(3)) < 1e-6);
    // A new model folder appears too.
    cpSync(join(registry, 'taxi', '1'), join(registry, 'other', '1'), { recursive: true });
    await server.scheduleRescan();
    const list = await json(await fetch(`${base}/v1/models`));
    assert.deepEqual(list.body.models.map((m: any) => m.name), ['other', 'taxi']);
  });
});
