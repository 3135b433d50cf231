/**
 * Argo target with model components: Transform's two-phase fan-out (analyze map → reduce → apply
 * map → merge) against its executor, and the model fixture (Tuner, Trainer on a GPU request,
 * Evaluator, InfraValidator, Pusher, BulkInferrer) compiled, schema-validated and replayed
 * against a local run of the same pipeline.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parse, stringify } from 'yaml';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { mergeShards, planShards, runShard } from '../../runtime/src/engine/single-node.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { compileArgo as compileArgoRaw, parseStore } from '../../runtime/src/targets/argo/compile.ts';
import { replayWorkflow, type ReplayResult } from '../../runtime/src/targets/argo/replay.ts';
import { argoValidator, bundleCli, modelWorkspace, repoRoot, schemaFile } from './helpers.ts';

type Json = Record<string, any>;
const compileArgo = async (...args: Parameters<typeof compileArgoRaw>) => (await compileArgoRaw(...args)) as Json;
const validate = argoValidator();
const tasksOf = (wf: Json) => wf.spec.templates.find((t: Json) => t.name === 'pipeline').dag.tasks as Json[];
const templateOf = (wf: Json, name: string) => wf.spec.templates.find((t: Json) => t.name === name) as Json;
const readJson = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json;
const sameBytes = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));

/** Rows of one split of an Examples folder, decoded from Arrow. */
function splitRows(uri: string, split: string): Json[] {
  const dir = join(uri, `Split-${split}`);
  return readdirSync(dir)
    .sort()
    .flatMap((f) => tableFromIPC(readFileSync(join(dir, f))).toArray().map((r) => r.toJSON() as Json));
}

/** Outputs of each node's successful execution in a run, by node and output name. */
function nodeOutputs(data: Awaited<ReturnType<MetadataStore['read']>>, runId: string): Record<string, Record<string, Json>> {
  const byNode: Record<string, Record<string, Json>> = {};
  for (const e of data.executions.filter((x) => x.runId === runId && (x.state === 'COMPLETE' || x.state === 'CACHED'))) {
    const events = data.events.filter((v) => v.executionId === e.id && v.type === 'OUTPUT');
    byNode[e.nodeId] = Object.fromEntries(events.map((v) => [v.key, data.artifacts.find((a) => a.id === v.artifactId)!]));
  }
  return byNode;
}

/**
 * Numbers equal within `tol` (relative to max(1, |x|)), everything else exactly. Training is seeded
 * (initializers, shuffling) and runs on the cpu backend, so replayed metrics are expected to be
 * bit-identical; the tolerance only absorbs float summation order should a backend change it.
 */
function assertClose(actual: unknown, expected: unknown, tol: number, path = '$'): void {
  if (typeof actual === 'number' && typeof expected === 'number') {
    assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${path}: ${actual} vs ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${path}: length`);
    expected.forEach((e, i) => assertClose((actual as unknown[])[i], e, tol, `${path}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    assert.deepEqual(Object.keys(actual as Json).sort(), Object.keys(expected).sort(), path);
    for (const k of Object.keys(expected)) assertClose((actual as Json)[k], (expected as Json)[k], tol, `${path}.${k}`);
  } else {
    assert.equal(actual, expected, path);
  }
}

describe('Argo target: Transform fan-out in one process equals the executor', function () {
  this.timeout(120_000);
  let pool: WorkerPool;
  let ws: { dir: string; file: string };
  before(async () => {
    pool = createPool(2);
    ws = await modelWorkspace(3000);
  });
  after(async () => {
    await pool.close();
    await rm(ws.dir, { recursive: true, force: true });
  });

  it('analyze map → reduce → apply map → merge gives the executor\'s graph and transformed shards', async () => {
    const plan = await loadPlanOrThrow(ws.file);
    const single = await runPipeline(plan, { only: ['example_gen', 'statistics_gen', 'schema_gen', 'transform'], pool, runId: 'single' });
    assert.equal(single.state, 'COMPLETE');
    const options = { runId: 'fanned', pool, useCache: false };
    const analyzeCount = await planShards(plan, 'transform', options);
    assert.ok(analyzeCount > 1, `${analyzeCount} analyze shards`);
    // Map steps in reverse order: the merges must not depend on the order partials arrive in.
    for (let i = analyzeCount - 1; i >= 0; i--) await runShard(plan, 'transform', i, options);
    await assert.rejects(runShard(plan, 'transform', 0, options, 2), /no phase-2 plan/);
    const applyCount = await planShards(plan, 'transform', options, 2);
    assert.ok(applyCount > analyzeCount, `${applyCount} apply shards (train and eval) vs ${analyzeCount} (train)`);
    for (let i = applyCount - 1; i >= 0; i--) await runShard(plan, 'transform', i, options, 2);
    const merged = await mergeShards(plan, 'transform', options);
    assert.equal(merged.state, 'COMPLETE', merged.error);

    const localOut = single.nodes.find((n) => n.id === 'transform')!.outputs!;
    for (const output of ['transform_graph', 'transformed_examples']) {
      const a = localOut[output];
      const b = merged.outputs[output];
      assert.notEqual(a.uri, b.uri);
      assert.deepEqual(b.properties, a.properties, output);
      const files = (uri: string) => readdirSync(uri, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name).slice(uri.length)).sort();
      assert.deepEqual(files(b.uri), files(a.uri), output);
      for (const f of files(a.uri)) assert.ok(sameBytes(join(a.uri, f), join(b.uri, f)), `${output}${f} differs`);
    }
    // Independent checks against the raw examples: analyzed rows = train rows, vocabulary = the
    // distinct payment types of train, and every split transformed row for row.
    const examples = single.nodes.find((n) => n.id === 'example_gen')!.outputs!.examples.uri;
    const train = splitRows(examples, 'train');
    const graph = readJson(merged.outputs.transform_graph.uri, 'transform_graph.json');
    assert.equal(graph.analyzers[0].result.count, train.length);
    const vocab = graph.analyzers.find((a: Json) => a.kind === 'vocabulary').result.vocabulary as string[];
    assert.deepEqual([...vocab].sort(), [...new Set(train.map((r) => r.payment_type ?? ''))].sort());
    for (const split of ['train', 'eval']) {
      assert.equal(splitRows(merged.outputs.transformed_examples.uri, split).length, splitRows(examples, split).length, split);
    }
    assert.deepEqual(readdirSync(join(ws.dir, '.tributary', 'runs', 'fanned')).filter((f) => f.endsWith('.shards')), []);
  });

  it('a merge whose staged shard is gone fails with a clear message, and a retry after the map steps succeeds', async () => {
    const plan = await loadPlanOrThrow(ws.file);
    const options = { runId: 'retry', pool, useCache: false };
    const runPhases = async () => {
      const n = await planShards(plan, 'transform', options);
      for (let i = 0; i < n; i++) await runShard(plan, 'transform', i, options);
      const m = await planShards(plan, 'transform', options, 2);
      for (let i = 0; i < m; i++) await runShard(plan, 'transform', i, options, 2);
    };
    await runPhases();
    const staged = join(ws.dir, '.tributary', 'runs', 'retry', 'transform.shards', 'transformed', 'Split-eval');
    rmSync(join(staged, readdirSync(staged)[0]));
    const failed = await mergeShards(plan, 'transform', options);
    assert.equal(failed.state, 'FAILED');
    assert.match(failed.error ?? '', /transformed shard .* is missing; rerun the phase-2 map steps/);
    await runPhases();
    assert.equal((await mergeShards(plan, 'transform', options)).state, 'COMPLETE');
  });
});

describe('Argo target: model components', function () {
  this.timeout(600_000);
  let ws: { dir: string; file: string };
  let local: { dir: string; file: string };
  let wf: Json;
  let replay: ReplayResult;
  let localMs: number;

  before(async () => {
    const tributary = await bundleCli();
    ws = await modelWorkspace(3000);
    local = await modelWorkspace(3000);
    wf = await compileArgo(await loadPlanOrThrow(ws.file), { image: 'registry.example/tributary:1', store: parseStore('pvc:data') });
    await writeFile(join(ws.dir, 'wf.yaml'), stringify(wf));
    replay = await replayWorkflow(join(ws.dir, 'wf.yaml'), { workspace: ws.dir, tributary, parallel: 2 });
    const t0 = performance.now();
    const summary = await runPipeline(await loadPlanOrThrow(local.file), { workers: 2 });
    localMs = performance.now() - t0;
    assert.equal(summary.state, 'COMPLETE');
    console.log(`      replay ${(replay.wallMs / 1000).toFixed(1)} s (${replay.steps.length} steps) vs local run ${(localMs / 1000).toFixed(1)} s`);
  });
  after(async () => {
    await rm(ws.dir, { recursive: true, force: true });
    await rm(local.dir, { recursive: true, force: true });
    await rm(join(repoRoot, 'test', '.tmp', `argo-cli-${process.pid}`), { recursive: true, force: true });
  });

  it('compiles to a schema-valid Workflow: Transform fans out in two phases, Evaluator and BulkInferrer over shards, other model nodes are plain steps, the Trainer asks for a GPU', function () {
    if (validate) assert.deepEqual(validate(wf), []);
    else console.warn(`      (schema check skipped: ${schemaFile} not found)`);
    const tasks = new Map(tasksOf(wf).map((t) => [t.name, t]));
    // Expected wiring straight from the fixture file.
    const nodes = parse(readFileSync(ws.file, 'utf8')).nodes as Record<string, { inputs?: Record<string, string>; run?: Json }>;
    const k8s = (id: string) => id.replace(/_/g, '-');
    assert.deepEqual(tasks.get('transform-reduce')?.dependencies, ['transform-shard']);
    assert.equal(tasks.get('transform-shard-2')?.withParam, '{{tasks.transform-reduce.outputs.parameters.shards}}');
    assert.deepEqual(tasks.get('transform')?.dependencies, ['transform-shard-2']);
    assert.deepEqual(templateOf(wf, 'transform-shard-2').container.args.slice(-4), ['--shard', '{{inputs.parameters.shard}}', '--phase', '2']);
    assert.deepEqual(templateOf(wf, 'transform-reduce').container.args.slice(-4), ['--plan-shards', '/tmp/tributary-shards.json', '--phase', '2']);
    const upstreamOf = (id: string) => [...new Set(Object.values(nodes[id].inputs ?? {}).map((ref) => k8s(ref.split('.')[0])))].sort();
    // Evaluator and BulkInferrer fan out like StatisticsGen: plan → one map step per shard → merge.
    for (const id of ['evaluator', 'bulk_inferrer']) {
      assert.deepEqual([...(tasks.get(`${k8s(id)}-plan`)?.dependencies ?? [])].sort(), upstreamOf(id), id);
      assert.equal(tasks.get(`${k8s(id)}-shard`)?.withParam, `{{tasks.${k8s(id)}-plan.outputs.parameters.shards}}`, id);
      assert.deepEqual(tasks.get(k8s(id))?.dependencies, [`${k8s(id)}-shard`], id);
      assert.ok((templateOf(wf, k8s(id)).container.args as string[]).includes('--merge'), id);
    }
    for (const id of ['tuner', 'trainer', 'infra_validator', 'pusher']) {
      const upstream = upstreamOf(id);
      assert.deepEqual([...(tasks.get(k8s(id))?.dependencies ?? [])].sort(), upstream, id);
      assert.equal(tasks.get(`${k8s(id)}-shard`), undefined, id);
      const args = templateOf(wf, k8s(id)).container.args as string[];
      assert.deepEqual(args.slice(0, 3), ['run-node', '/workspace/model.pipeline.yaml', id]);
      assert.ok(!args.includes('--shard') && !args.includes('--merge'), id);
    }
    const trainer = templateOf(wf, 'trainer').container;
    assert.deepEqual(trainer.resources, { requests: { cpu: String(nodes.trainer.run!.cpu), memory: nodes.trainer.run!.memory }, limits: { 'nvidia.com/gpu': String(nodes.trainer.run!.gpu) } });
    assert.equal(templateOf(wf, 'evaluator').container.resources, undefined);
  });

  it('replays every step as its own process, Transform over shards in both phases', () => {
    assert.equal(replay.phase, 'Succeeded', JSON.stringify(replay.steps.filter((s) => s.phase !== 'Succeeded')));
    const count = (prefix: string) => replay.steps.filter((s) => s.name.startsWith(prefix)).length;
    assert.ok(count('transform-shard(') > 1);
    assert.ok(count('transform-shard-2(') > count('transform-shard('));
    for (const name of ['transform-reduce', 'tuner', 'trainer', 'evaluator-plan', 'evaluator', 'infra-validator', 'pusher', 'bulk-inferrer-plan', 'bulk-inferrer', 'finish-run']) {
      assert.equal(replay.steps.filter((s) => s.name === name).length, 1, name);
    }
    assert.ok(count('evaluator-shard(') > 1);
  });

  it('its artifacts equal the local run\'s: statistics, schema, analyzers, transformed data, hyperparameters, metrics, predictions', async () => {
    const a = nodeOutputs(await (await MetadataStore.open(join(ws.dir, '.tributary', 'metadata.json'))).read(), replay.runId);
    const bData = await (await MetadataStore.open(join(local.dir, '.tributary', 'metadata.json'))).read();
    const b = nodeOutputs(bData, bData.executions[0].runId);
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    assert.equal(Object.keys(a).length, 10);
    for (const [node, output, file] of [['statistics_gen', 'statistics', 'FeatureStats.json'], ['schema_gen', 'schema', 'schema.json']]) {
      const files = readdirSync(b[node][output].uri).sort();
      assert.deepEqual(readdirSync(a[node][output].uri).sort(), files);
      assert.ok(files.includes(file), `${node}: ${files.join(', ')}`);
      for (const f of files) assert.ok(sameBytes(join(a[node][output].uri, f), join(b[node][output].uri, f)), `${node}/${f}`);
    }
    // The graph's module hash covers the compiled code, whose source map names the workspace: compare the rest.
    const [ga, gb] = [a, b].map((o) => readJson(o.transform.transform_graph.uri, 'transform_graph.json'));
    for (const k of ['analyzers', 'rawFeatures', 'outputFeatures', 'label']) assert.deepEqual(ga[k], gb[k], k);
    for (const split of ['train', 'eval']) assert.deepEqual(splitRows(a.transform.transformed_examples.uri, split), splitRows(b.transform.transformed_examples.uri, split), split);
    assert.deepEqual(...([a, b].map((o) => readJson(o.tuner.best_hyperparameters.uri, 'best_hyperparameters.json')) as [Json, Json]));

    const tol = 1e-9;
    const metrics = (o: typeof a) => {
      const e = readJson(o.evaluator.evaluation.uri, 'evaluation.json');
      delete e.model; // ids and paths of each store
      return e;
    };
    const [ea, eb] = [metrics(a), metrics(b)];
    assert.ok(eb.slices[0].metrics.example_count > 0 && Number.isFinite(eb.slices[0].metrics.auc));
    assertClose(ea, eb, tol);
    assert.equal(readJson(a.evaluator.blessing.uri, 'blessing.json').blessed, readJson(b.evaluator.blessing.uri, 'blessing.json').blessed);
    assert.equal(readJson(a.infra_validator.blessing.uri, 'infra_blessing.json').blessed, true);
    const [pa, pb] = [a, b].map((o) => readJson(o.pusher.pushed_model.uri, 'pushed.json'));
    assert.deepEqual([pa.pushed, pa.version], [pb.pushed, pb.version]);
    assert.equal(pa.path, join(ws.dir, 'registry', 'taxi', String(pa.version)));
    const predictions = (o: typeof a) => readFileSync(join(o.bulk_inferrer.inference_result.uri, 'predictions.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
    const [qa, qb] = [predictions(a), predictions(b)];
    assert.equal(qa.length, splitRows(b.example_gen.examples.uri, 'eval').length + 1);
    assertClose(qa.map((r) => Number(r.at(-1))).slice(1), qb.map((r) => Number(r.at(-1))).slice(1), tol);
  });
});
