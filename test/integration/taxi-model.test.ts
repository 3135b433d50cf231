/**
 * The taxi sample end to end through the CLI (from source), on a copy of the sample in a temp
 * folder: the full pipeline completes and pushes a blessed model; a rerun is all cache hits; the
 * served model sees exactly the training-time features; a worse model is not blessed and the
 * Pusher refuses it. Expected values are computed here from the raw rows, not read back from
 * the components' own outputs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { tableFromIPC } from 'apache-arrow';
import { listShards } from '../../runtime/src/formats/examples.ts';
import { loadBundle, type LoadedBundle } from '../../runtime/src/ml/bundle.ts';
import { useInferenceBackend } from '../../runtime/src/ml/backend.ts';
import { readSplitRows, type RawRow } from '../../runtime/src/components/evaluator/read-rows.ts';
import { startServerProcess } from '../../runtime/src/components/infra-validator/server-process.ts';
import type { RunSummary } from '../../runtime/src/engine/scheduler.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sample = join(root, 'samples', 'taxi');
const NODES = ['example_gen', 'statistics_gen', 'schema_gen', 'example_validator', 'transform', 'trainer', 'evaluator', 'infra_validator', 'pusher'];

function runCli(pipeline: string): RunSummary {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', 'run', pipeline, '--json', '--workers', '2'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunSummary;
}

const node = (s: RunSummary, id: string) => {
  const n = s.nodes.find((x) => x.id === id);
  assert.ok(n, `node ${id} in the summary`);
  return n;
};
const output = (s: RunSummary, id: string, name: string) => {
  const o = node(s, id).outputs?.[name];
  assert.ok(o, `${id}.${name}`);
  return o;
};

/** TFX's label, restated: a big tipper tipped more than 20% of a known fare. */
const bigTipper = (r: RawRow): number => (typeof r.fare === 'number' && (typeof r.tips === 'number' ? r.tips : 0) > 0.2 * r.fare ? 1 : 0);

function accuracy(model: LoadedBundle, rows: RawRow[]): number {
  const p = model.predict(rows) as number[];
  return p.reduce((n, score, i) => n + ((score >= 0.5 ? 1 : 0) === bigTipper(rows[i]) ? 1 : 0), 0) / rows.length;
}

describe('samples/taxi: the full pipeline through the CLI', function () {
  this.timeout(600_000);
  let dir: string;
  let pipeline: string;
  let first: RunSummary;
  let evalRows: RawRow[];
  const registry = () => join(dir, '.tributary', 'registry');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'taxi-model-'));
    for (const f of ['taxi.pipeline.yaml', 'taxi_transform.ts', 'taxi_trainer.ts']) cpSync(join(sample, f), join(dir, f));
    cpSync(join(sample, 'data'), join(dir, 'data'), { recursive: true });
    pipeline = join(dir, 'taxi.pipeline.yaml');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('completes every node and pushes a blessed model that clearly beats the majority class', () => {
    first = runCli(pipeline);
    assert.equal(first.state, 'COMPLETE');
    assert.deepEqual(first.nodes.map((n) => [n.id, n.state]), NODES.map((id) => [id, 'COMPLETE']));

    evalRows = readSplitRows(output(first, 'example_gen', 'examples').uri, 'eval');
    const positives = evalRows.reduce((n, r) => n + bigTipper(r), 0);
    const majority = Math.max(positives, evalRows.length - positives) / evalRows.length;
    const overall = output(first, 'evaluator', 'evaluation').properties.overall as Record<string, number>;
    assert.equal(overall.example_count, evalRows.length);
    assert.ok(Math.abs(overall.majority_baseline_accuracy - majority) < 1e-12, `majority ${overall.majority_baseline_accuracy} vs ${majority}`);
    assert.ok(overall.accuracy > majority + 0.05, `accuracy ${overall.accuracy} must clearly beat the majority class ${majority}`);
    assert.ok(overall.auc > 0.8, `AUC ${overall.auc}`);

    assert.equal(output(first, 'evaluator', 'blessing').properties.blessed, true);
    assert.equal(output(first, 'infra_validator', 'blessing').properties.blessed, true);
    const pushed = output(first, 'pusher', 'pushed_model').properties;
    assert.equal(pushed.pushed, true);
    assert.equal(pushed.version, 1);
    assert.equal(pushed.path, join(registry(), 'taxi', '1'));
    assert.ok(existsSync(join(registry(), 'taxi', '1', 'bundle.json')));
    assert.equal(JSON.parse(readFileSync(join(registry(), 'taxi', 'index.json'), 'utf8')).labels.stable, 1);
  });

  it('reruns from the cache: every node CACHED, nothing pushed again', () => {
    const again = runCli(pipeline);
    assert.equal(again.state, 'COMPLETE');
    assert.deepEqual(again.nodes.map((n) => [n.id, n.state]), NODES.map((id) => [id, 'CACHED']));
    assert.deepEqual(readdirSync(join(registry(), 'taxi')).filter((v) => /^\d+$/.test(v)), ['1']);
  });

  it('serves exactly the training-time features and predictions (bundle and HTTP server)', async () => {
    // On the backend the server predicts on (serve.ts: wasm), so its answers can match bit for bit.
    const previous = tf.getBackend();
    await useInferenceBackend();
    const bundle = await loadBundle(join(registry(), 'taxi', '1'));
    try {
      // What Transform wrote for the eval split (pool workers, Arrow), row for row with the raw split.
      const shards = listShards(output(first, 'transform', 'transformed_examples').uri, 'eval');
      const tables = shards.map((f) => tableFromIPC(readFileSync(f)));
      const trained: Record<string, number[]> = {};
      for (const t of tables) {
        for (const field of t.schema.fields) trained[field.name] = [...(trained[field.name] ?? []), ...Array.from(t.getChild(field.name)!.toArray() as ArrayLike<number>, Number)];
      }
      assert.equal(trained.tips_xf.length, evalRows.length);

      // The serving path: raw rows → the bundle's copy of the transform graph.
      const served = bundle.transformGraph.applyToRows(evalRows);
      for (const name of bundle.info.inputFeatures) {
        const col = served[name];
        assert.ok(col, `served feature ${name}`);
        for (let i = 0; i < col.length; i++) {
          if (col[i] !== trained[name][i]) assert.fail(`${name}[${i}]: served ${col[i]} vs trained ${trained[name][i]}`);
        }
      }
      // Label as TFX defines it, from the raw columns.
      assert.deepEqual(trained.tips_xf, evalRows.map(bigTipper));

      // Same predictions from raw rows as from the training-time transformed columns.
      const fromTrained = Object.fromEntries(
        bundle.info.inputFeatures.map((n) => [n, served[n] instanceof Int32Array ? Int32Array.from(trained[n]) : Float32Array.from(trained[n])]),
      );
      const viaTraining = bundle.predictTransformed(fromTrained) as number[];
      const viaServing = bundle.predict(evalRows) as number[];
      assert.deepEqual(viaServing, viaTraining);

      // And over HTTP, with requests as a client sends them: no label column, nulls for missing.
      const server = await startServerProcess(registry(), { timeoutMs: 60_000 });
      try {
        const rows = evalRows.slice(0, 40).map(({ tips: _tips, ...rest }) => rest);
        const res = await fetch(`http://127.0.0.1:${server.port}/v1/models/taxi/labels/stable:predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: rows }),
        });
        const body = (await res.json()) as { predictions: number[][]; error?: string };
        assert.equal(res.status, 200, body.error);
        assert.deepEqual(body.predictions.map((p) => p[0]), viaTraining.slice(0, 40));
        const { fare: _fare, ...noFare } = rows[0];
        const bad = await fetch(`http://127.0.0.1:${server.port}/v1/models/taxi:predict`, { method: 'POST', body: JSON.stringify({ instances: [noFare] }) });
        assert.equal(bad.status, 400);
        assert.match(((await bad.json()) as { error: string }).error, /missing feature "fare"/);
      } finally {
        await server.stop();
      }
    } finally {
      bundle.dispose();
      if (previous) await tf.setBackend(previous);
    }
  });

  it('does not bless a worse model, and the Pusher refuses it', async () => {
    // The same pipeline with a crippled Trainer: one epoch at a tiny learning rate.
    const yaml = readFileSync(pipeline, 'utf8');
    const crippled = yaml.replace(/epochs: \d+/, 'epochs: 1').replace(/learning_rate: [0-9.e-]+/, 'learning_rate: 0.00001');
    assert.notEqual(crippled, yaml);
    writeFileSync(pipeline, crippled);
    const worse = runCli(pipeline);
    assert.equal(worse.state, 'COMPLETE');
    assert.equal(node(worse, 'trainer').state, 'COMPLETE');

    // Independently: the candidate is worse than the blessed baseline by more than the allowed 0.01.
    const baseline = await loadBundle(join(output(first, 'trainer', 'model').uri, 'bundle'));
    const candidate = await loadBundle(join(output(worse, 'trainer', 'model').uri, 'bundle'));
    const [accBaseline, accCandidate] = [accuracy(baseline, evalRows), accuracy(candidate, evalRows)];
    baseline.dispose();
    candidate.dispose();
    assert.ok(accCandidate < accBaseline - 0.01, `candidate ${accCandidate} vs baseline ${accBaseline}`);

    const blessing = output(worse, 'evaluator', 'blessing').properties;
    assert.equal(blessing.blessed, false);
    assert.equal(blessing.baselineModelId, output(first, 'trainer', 'model').id);
    assert.ok((blessing.failed as string[]).some((m) => /accuracy .* vs baseline .* violates/.test(m)), JSON.stringify(blessing.failed));
    const pushed = output(worse, 'pusher', 'pushed_model').properties;
    assert.equal(pushed.pushed, false);
    assert.match(String(pushed.reason), /Evaluator did not bless/);
    assert.deepEqual(readdirSync(join(registry(), 'taxi')).filter((v) => /^\d+$/.test(v)), ['1']);
  });
});
