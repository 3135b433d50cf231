/**
 * Serving benchmark: `tributary serve` as its own process over a registry with one bundle (a
 * transform graph over 8 raw features + Dense 64→32→1), measured from outside over loopback:
 * - time to ready (spawn → listening with the model loaded), median of 3 starts;
 * - single-row predict latency p50/p99 and requests/s with 1 and 32 concurrent clients.
 * Targets: ready < 1 s, p99 < 5 ms at 1 client. Run: npx tsx bench/serving-bench.ts
 * (or node dist/bench/serving-bench.js after npm run build, which serves with dist/runtime/cli.js).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveBundle } from '../runtime/src/ml/bundle.ts';
import { startServerProcess } from '../runtime/src/components/infra-validator/server-process.ts';

const FEATURES = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'];
const REQUESTS_1 = Number(process.env.BENCH_REQUESTS ?? 2000);
const REQUESTS_PER_CLIENT_32 = Number(process.env.BENCH_REQUESTS_32 ?? 200);

async function writeRegistry(root: string): Promise<string> {
  const transform = join(root, 'transform');
  mkdirSync(transform, { recursive: true });
  writeFileSync(
    join(transform, 'module.mjs'),
    `export function preprocessing_fn(inputs, tft) {\n  return {\n${FEATURES.map((f) => `    ${f}_xf: Float32Array.from(tft.fill_in_missing(inputs.${f}, 0)),`).join('\n')}\n  };\n}\n`,
  );
  writeFileSync(
    join(transform, 'transform_graph.json'),
    JSON.stringify({
      formatVersion: 1,
      module: { file: 'module.mjs', exportName: 'preprocessing_fn', sourceHash: 'bench' },
      analyzers: [],
      rawFeatures: FEATURES.map((name) => ({ name, type: 'FLOAT' })),
      outputFeatures: FEATURES.map((f) => ({ name: `${f}_xf`, dtype: 'float32', kind: 'numeric' })),
    }),
  );
  tf.env().set('PROD', true); // no "install tfjs-node" banner in the output
  await tf.setBackend('cpu');
  const inputs = FEATURES.map((f) => tf.input({ shape: [1], name: `${f}_xf` }));
  let x = tf.layers.concatenate().apply(inputs) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 64, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 32, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs, outputs: tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor });
  const registry = join(root, 'registry');
  await saveBundle(join(registry, 'bench', '1'), {
    model,
    transformGraphDir: transform,
    info: { task: 'binary', label: 'y', rawFeatures: FEATURES.map((name) => ({ name, type: 'FLOAT' })), backend: 'cpu', trainMetrics: {} },
  });
  return registry;
}

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/models/bench:predict', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function load(port: number, clients: number, perClient: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const body = (i: number) => JSON.stringify({ instances: [Object.fromEntries(FEATURES.map((f, j) => [f, ((i * 31 + j * 7) % 100) / 10]))] });
  for (let i = 0; i < 50; i++) await post(agent, port, body(i)); // warm-up
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) latencies.push(await post(agent, port, body(c * perClient + i)));
    }),
  );
  const wall = performance.now() - t0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { clients, requests: latencies.length, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), rps: latencies.length / (wall / 1000) };
}

const root = mkdtempSync(join(tmpdir(), 'serving-bench-'));
try {
  const registry = await writeRegistry(root);
  const readies: number[] = [];
  for (let i = 0; i < 3; i++) {
    const server = await startServerProcess(registry, { timeoutMs: 30_000 });
    readies.push(server.readyMs);
    await server.stop();
  }
  readies.sort((a, b) => a - b);
  const server = await startServerProcess(registry, { timeoutMs: 30_000 });
  const one = await load(server.port, 1, REQUESTS_1);
  const many = await load(server.port, 32, REQUESTS_PER_CLIENT_32);
  await server.stop();
  const f = (x: number) => x.toFixed(2);
  const ready = readies[1];
  console.log(`time to ready (median of 3): ${ready.toFixed(0)} ms  [target < 1000 ms: ${ready < 1000 ? 'PASS' : 'MISS'}]  (all: ${readies.map((r) => r.toFixed(0)).join(', ')})`);
  for (const r of [one, many]) {
    const target = r.clients === 1 ? `  [p99 target < 5 ms: ${r.p99 < 5 ? 'PASS' : 'MISS'}]` : '';
    console.log(`${String(r.clients).padStart(2)} client(s): ${r.requests} single-row predicts, p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, ${r.rps.toFixed(0)} req/s${target}`);
  }
  console.log(JSON.stringify({ readyMs: readies, one, many }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
