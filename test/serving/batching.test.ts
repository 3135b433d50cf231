import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PredictBatcher } from '../../runtime/src/serving/batcher.ts';
import { ModelServer } from '../../runtime/src/serving/server.ts';
import { saveBundle } from '../../runtime/src/ml/bundle.ts';
import { useInferenceBackend } from '../../runtime/src/ml/backend.ts';
import { writeIdentityTransform } from './fixtures.ts';

const FEATURES = ['x1', 'x2', 'x3', 'x4'];

/** A 4 → 16 → 8 → 3 softmax MLP with seeded random weights: batched rows go through real matmuls. */
async function writeMlpBundle(dir: string): Promise<void> {
  tf.env().set('PROD', true); // no "install tfjs-node" banner
  await tf.setBackend('cpu');
  const inputs = FEATURES.map((f) => tf.input({ shape: [1], name: `${f}_xf` }));
  let x = tf.layers.concatenate().apply(inputs) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: out });
  const transform = writeIdentityTransform(`${dir}.transform`, FEATURES);
  await saveBundle(dir, {
    model,
    transformGraphDir: transform,
    info: { task: 'multiclass', label: 'label_xf', classes: ['a', 'b', 'c'], rawFeatures: [...FEATURES.map((name) => ({ name, type: 'FLOAT' as const })), { name: 'label', type: 'INT' as const }], backend: 'cpu', trainMetrics: {} },
  });
  rmSync(transform, { recursive: true, force: true });
  model.dispose();
}

const rowAt = (i: number) => Object.fromEntries(FEATURES.map((f, j) => [f, Math.sin(i * 7.3 + j * 1.7) * (1 + (i % 5))]));

// On cpu, and on wasm, which `tributary serve` predicts on (serve.ts).
for (const backend of ['cpu', 'wasm'] as const) describe(`dynamic batching on ${backend}`, function () {
  this.timeout(60_000);
  let registry: string;
  let batched: ModelServer;
  let unbatched: ModelServer;
  let batchedBase: string;
  let unbatchedBase: string;

  before(async () => {
    registry = mkdtempSync(join(tmpdir(), 'batching-'));
    await writeMlpBundle(join(registry, 'mlp', '1'));
    if (backend === 'wasm') assert.equal(await useInferenceBackend(), 'wasm');
    // Requests sent together from this process reach the server over several event-loop turns: a
    // predict delay (after the body is read, while the request still counts as arriving) and a long
    // timeout make them meet in batches even on a loaded machine.
    batched = new ModelServer(registry, { port: 0, rescanMs: 0, maxBatchSize: 16, batchTimeoutMs: 1000, predictDelayMs: 50 });
    unbatched = new ModelServer(registry, { port: 0, rescanMs: 0, maxBatchSize: 0 });
    batchedBase = `http://127.0.0.1:${(await batched.start()).port}`;
    unbatchedBase = `http://127.0.0.1:${(await unbatched.start()).port}`;
  });
  after(async () => {
    await batched.close();
    await unbatched.close();
    rmSync(registry, { recursive: true, force: true });
    await tf.setBackend('cpu'); // as the other tests of this process expect
  });

  const predict = async (base: string, instances: Record<string, unknown>[]) => {
    const r = await fetch(`${base}/v1/models/mlp:predict`, { method: 'POST', body: JSON.stringify({ instances }), headers: { 'content-type': 'application/json' } });
    return { status: r.status, text: await r.text() };
  };

  it('answers concurrent requests bit-identically to unbatched prediction, in fewer predicts', async () => {
    // 48 requests of 1–3 rows at once; each answer must be byte for byte the unbatched one.
    const requests = Array.from({ length: 48 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (__, k) => rowAt(i * 3 + k)));
    const together = await Promise.all(requests.map((rows) => predict(batchedBase, rows)));
    const alone: { status: number; text: string }[] = [];
    for (const rows of requests) alone.push(await predict(unbatchedBase, rows));
    for (let i = 0; i < requests.length; i++) {
      assert.equal(together[i].status, 200, together[i].text);
      assert.equal(together[i].text, alone[i].text, `request ${i}`);
    }
    const stats = batched.batchStats();
    assert.equal(stats.rows, requests.flat().length);
    assert.ok(stats.batches < requests.length / 2, `${stats.batches} predicts for ${requests.length} requests: not batched`);
    assert.equal(unbatched.batchStats().batches, 0);
    // And each row equals that row predicted on its own.
    const single = await Promise.all(requests[5].map((row) => predict(unbatchedBase, [row])));
    assert.deepEqual(JSON.parse(together[5].text).predictions, single.map((s) => JSON.parse(s.text).predictions[0]));
  });

  it('a bad request fails alone; the requests sent with it are answered', async () => {
    // This one is refused while parsing; one the model itself rejects: the PredictBatcher test below.
    const results = await Promise.all([predict(batchedBase, [rowAt(1)]), predict(batchedBase, [{ ...rowAt(2), x1: 'nope' }]), predict(batchedBase, [rowAt(3)])]);
    assert.deepEqual(results.map((r) => r.status), [200, 400, 200]);
  });
});

describe('PredictBatcher', () => {
  const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ tag, i }));

  it('cuts a large request into batches and lets small requests in between', async () => {
    const sizes: number[] = [];
    const order: string[] = [];
    const batcher = new PredictBatcher(
      (batch) => {
        sizes.push(batch.length);
        return batch.map((r) => (r.tag === 'big' ? (r.i as number) : -1));
      },
      { maxBatchSize: 32, timeoutMs: 1, arriving: () => 0 },
    );
    const big = batcher.submit(rows(1000, 'big')).then((p) => {
      order.push('big');
      return p;
    });
    // Small requests arriving while the big one is being worked through.
    const small: Promise<unknown>[] = [];
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setImmediate(r));
      small.push(batcher.submit(rows(1, `small${k}`)).then(() => order.push(`small${k}`)));
    }
    const answer = await big;
    await Promise.all(small);
    assert.deepEqual(answer, Array.from({ length: 1000 }, (_, i) => i), 'the big request is answered in order');
    assert.ok(Math.max(...sizes) <= 32, `batches of ${Math.max(...sizes)} rows`);
    assert.equal(order.at(-1), 'big', `small requests were answered after the big one: ${order.join(', ')}`);
  });

  it('fails only the request whose rows the model rejects', async () => {
    const batcher = new PredictBatcher(
      (batch) => {
        if (batch.some((r) => r.tag === 'bad')) throw Object.assign(new Error('unknown category'), { name: 'UserError' });
        return batch.map(() => 1);
      },
      { maxBatchSize: 32, timeoutMs: 50, arriving: () => 0 },
    );
    const results = await Promise.allSettled([batcher.submit(rows(2, 'ok')), batcher.submit(rows(1, 'bad')), batcher.submit(rows(3, 'ok'))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /unknown category/);
  });

  it('waits for requests still being read, at most the timeout', async () => {
    let arriving = 1;
    const sizes: number[] = [];
    const batcher = new PredictBatcher((batch) => (sizes.push(batch.length), batch.map(() => 0)), { maxBatchSize: 32, timeoutMs: 5_000, arriving: () => arriving });
    const first = batcher.submit(rows(1, 'a'));
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(sizes, [], 'ran while another request was arriving');
    arriving = 0;
    const second = batcher.submit(rows(1, 'b'));
    await Promise.all([first, second]);
    assert.deepEqual(sizes, [2]);
    // With nothing arriving, a lone request does not wait.
    const t0 = performance.now();
    await batcher.submit(rows(1, 'c'));
    assert.ok(performance.now() - t0 < 1000);
    // Arriving forever: the timeout runs the batch anyway.
    arriving = 1;
    const slow = new PredictBatcher((batch) => batch.map(() => 0), { maxBatchSize: 32, timeoutMs: 20, arriving: () => arriving });
    await slow.submit(rows(1, 'd'));
  });
});
