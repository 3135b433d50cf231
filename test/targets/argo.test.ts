import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parse, stringify } from 'yaml';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { runPipeline } from '../../runtime/src/engine/scheduler.ts';
import { createPool } from '../../runtime/src/engine/pool.ts';
import { type WorkerPool } from '../../runtime/src/core/worker-pool.ts';
import { mergeShards, planShards, runShard } from '../../runtime/src/engine/cluster-step.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { compileArgo as compileArgoRaw, parseStore } from '../../runtime/src/targets/argo/compile.ts';
import { replayWorkflow, type ReplayResult } from '../../runtime/src/targets/argo/replay.ts';
import { argoValidator, bundleCli, repoRoot, schemaFile, taxiWorkspace } from './helpers.ts';

type Json = Record<string, any>;

const compileArgo = async (...args: Parameters<typeof compileArgoRaw>) => (await compileArgoRaw(...args)) as Json;

const validate = argoValidator();
function assertValidArgo(doc: unknown): void {
  if (!validate) {
    console.warn(`      (skipped: Argo JSON schema not found at ${schemaFile})`);
    return;
  }
  assert.deepEqual(validate(doc), []);
}

const tasksOf = (wf: Json) => (wf.kind === 'CronWorkflow' ? wf.spec.workflowSpec : wf.spec).templates.find((t: Json) => t.name === 'pipeline').dag.tasks as Json[];
const templateOf = (wf: Json, name: string) => (wf.kind === 'CronWorkflow' ? wf.spec.workflowSpec : wf.spec).templates.find((t: Json) => t.name === name) as Json;
const k8s = (id: string) => id.replace(/_/g, '-');

/** Every file of an Examples artifact decoded to rows, by split: content equality without Arrow's byte layout. */
function examplesRows(uri: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const split of readdirSync(uri).filter((d) => d.startsWith('Split-')).sort()) {
    out[split] = readdirSync(join(uri, split))
      .sort()
      .flatMap((f) => tableFromIPC(readFileSync(join(uri, split, f))).toArray().map((r) => r.toJSON()));
  }
  return out;
}

function nodeOutputs(data: Awaited<ReturnType<MetadataStore['read']>>, runId: string) {
  const byNode: Record<string, Json> = {};
  for (const e of data.executions.filter((x) => x.runId === runId && (x.state === 'COMPLETE' || x.state === 'CACHED'))) {
    const ids = data.events.filter((v) => v.executionId === e.id && v.type === 'OUTPUT');
    byNode[e.nodeId] = Object.fromEntries(ids.map((v) => [v.key, data.artifacts.find((a) => a.id === v.artifactId)!]));
  }
  return byNode;
}

describe('Argo target: compile', () => {
  let ws: { dir: string; file: string };
  before(async () => {
    ws = await taxiWorkspace(0.25);
  });
  after(() => rm(ws.dir, { recursive: true, force: true }));

  it('compiles the taxi pipeline to a schema-valid Workflow whose DAG mirrors the artifact edges', async () => {
    const plan = await loadPlanOrThrow(ws.file);
    const wf = await compileArgo(plan, { image: 'registry.example/tributary:1', store: parseStore('pvc:data') });
    assertValidArgo(wf);
    // Expected edges straight from the pipeline file, not from the plan the compiler used.
    const nodes = parse(readFileSync(ws.file, 'utf8')).nodes as Record<string, { inputs?: Record<string, string> }>;
    // One map phase for the data components and the Evaluator, two for Transform (analyze, then apply).
    const fanned = new Set(['example_gen', 'statistics_gen', 'transform', 'evaluator']);
    const twoPhase = new Set(['transform']);
    const tasks = new Map(tasksOf(wf).map((t) => [t.name, t]));
    for (const [id, node] of Object.entries(nodes)) {
      const upstream = [...new Set(Object.values(node.inputs ?? {}).map((ref) => k8s(ref.split('.')[0])))].sort();
      const first = fanned.has(id) ? `${k8s(id)}-plan` : k8s(id);
      assert.deepEqual([...(tasks.get(first)?.dependencies ?? [])].sort(), upstream, id);
      if (fanned.has(id)) {
        assert.equal(tasks.get(`${k8s(id)}-shard`)?.withParam, `{{tasks.${k8s(id)}-plan.outputs.parameters.shards}}`);
        const last = twoPhase.has(id) ? `${k8s(id)}-shard-2` : `${k8s(id)}-shard`;
        assert.deepEqual(tasks.get(k8s(id))?.dependencies, [last]);
      }
      if (twoPhase.has(id)) {
        assert.deepEqual(tasks.get(`${k8s(id)}-reduce`)?.dependencies, [`${k8s(id)}-shard`]);
        assert.equal(tasks.get(`${k8s(id)}-shard-2`)?.withParam, `{{tasks.${k8s(id)}-reduce.outputs.parameters.shards}}`);
      }
      const args = templateOf(wf, k8s(id)).container.args as string[];
      assert.deepEqual(args.slice(0, 5), ['run-node', '/workspace/taxi/taxi.pipeline.yaml', id, '--run', '{{workflow.name}}']);
      assert.equal(templateOf(wf, k8s(id)).container.image, 'registry.example/tributary:1');
    }
    assert.equal(tasks.size, Object.keys(nodes).length + 2 * fanned.size + 2 * twoPhase.size);
    assert.equal(wf.spec.onExit, 'finish-run');
    assert.deepEqual(wf.spec.volumes, [{ name: 'workspace', persistentVolumeClaim: { claimName: 'data' } }]);
  });

  it('the schema check is live: a broken workflow is rejected', async function () {
    if (!validate) this.skip();
    const wf = await compileArgo(await loadPlanOrThrow(ws.file), { image: 'i', store: parseStore('pvc:data') });
    delete tasksOf(wf)[0].name;
    assert.notDeepEqual(validate(wf), []);
  });

  it('emits a CronWorkflow with --schedule', async () => {
    const wf = await compileArgo(await loadPlanOrThrow(ws.file), { image: 'i', schedule: '0 3 * * *', store: parseStore('pvc:data') });
    assertValidArgo(wf);
    assert.equal(wf.kind, 'CronWorkflow');
    assert.deepEqual(wf.spec.schedules, ['0 3 * * *']);
    // Every node a task; ExampleGen, StatisticsGen and the Evaluator add a plan and a map task, Transform also a reduce and a second map.
    const nodeCount = Object.keys(parse(readFileSync(ws.file, 'utf8')).nodes).length;
    assert.equal(tasksOf(wf).length, nodeCount + 2 * 3 + 4);
  });

  it('compiles every sample pipeline (taxi, taxi-tuned, penguins) to a schema-valid Workflow with a task per node, Transform in two phases', async () => {
    const files = readdirSync(join(repoRoot, 'samples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(join(repoRoot, 'samples', d.name)).filter((f) => f.endsWith('.pipeline.yaml')).map((f) => join(repoRoot, 'samples', d.name, f)));
    for (const sample of ['taxi/taxi.pipeline.yaml', 'taxi/taxi-tuned.pipeline.yaml', 'penguins/penguins.pipeline.yaml']) {
      assert.ok(files.includes(join(repoRoot, 'samples', sample)), `${sample} not in ${files.join(', ')}`);
    }
    for (const file of files) {
      const wf = await compileArgo(await loadPlanOrThrow(file), { image: 'i', store: parseStore('pvc:data'), workspaceRoot: repoRoot });
      assertValidArgo(wf);
      const names = new Set(tasksOf(wf).map((t) => t.name));
      const nodes = parse(readFileSync(file, 'utf8')).nodes as Record<string, { component: string }>;
      for (const [id, node] of Object.entries(nodes)) {
        assert.ok(names.has(k8s(id)), `${file}: ${id}`);
        if (node.component === 'Transform') assert.ok(names.has(`${k8s(id)}-reduce`) && names.has(`${k8s(id)}-shard-2`), `${file}: ${id}`);
      }
    }
  });

  it('compiles a differently shaped pipeline: run settings, fan_out off, two StatisticsGen, S3 store', async () => {
    await writeFile(
      join(ws.dir, 'taxi', 'wide.pipeline.yaml'),
      stringify({
        name: 'taxi_wide',
        nodes: {
          ingest: { component: 'CsvExampleGen', params: { input: 'data/taxi.csv', splits: { a: 1, b: 1, c: 1 } }, run: { retries: 2, cpu: '1500m', memory: '2Gi' } },
          stats: { component: 'StatisticsGen', inputs: { examples: 'ingest.examples' }, run: { fan_out: false } },
          schema: { component: 'SchemaGen', inputs: { statistics: 'stats.statistics' } },
          stats_typed: { component: 'StatisticsGen', inputs: { examples: 'ingest.examples', schema: 'schema.schema' }, run: { gpu: 1 } },
          check: { component: 'ExampleValidator', inputs: { statistics: 'stats_typed.statistics', schema: 'schema.schema' } },
        },
      }),
    );
    const plan = await loadPlanOrThrow(join(ws.dir, 'taxi', 'wide.pipeline.yaml'));
    const store = parseStore('s3://bucket-1/pipelines/wide', { endpoint: 'minio:9000', secret: 'minio-creds' });
    const wf = await compileArgo(plan, { image: 'i', store });
    assertValidArgo(wf);
    const tasks = new Map(tasksOf(wf).map((t) => [t.name, t]));
    assert.deepEqual(
      [...tasks.keys()],
      ['ingest-plan', 'ingest-shard', 'ingest', 'stats', 'schema', 'stats-typed-plan', 'stats-typed-shard', 'stats-typed', 'check'],
    );
    const ingest = templateOf(wf, 'ingest-shard');
    assert.deepEqual(ingest.retryStrategy, { limit: '2', retryPolicy: 'OnFailure' });
    assert.deepEqual(ingest.container.resources, { requests: { cpu: '1500m', memory: '2Gi' } });
    assert.deepEqual(ingest.container.env, [{ name: 'TRIBUTARY_WORKERS', value: '2' }]);
    assert.deepEqual(templateOf(wf, 'stats-typed').container.resources, { limits: { 'nvidia.com/gpu': '1' } });
    // S3: the workspace comes in as an artifact, writes go back; credentials only by secret name.
    const s3 = templateOf(wf, 'schema').inputs.artifacts[0].s3;
    assert.deepEqual(s3.accessKeySecret, { name: 'minio-creds', key: 'accessKey' });
    assert.equal(s3.key, 'pipelines/wide');
    assert.equal(templateOf(wf, 'schema').outputs.artifacts[0].s3.key, 'pipelines/wide/taxi/.tributary');
    assert.equal(wf.spec.volumes, undefined);
    // No shared store file on S3: steps that write metadata are chained (stats_typed after schema's sibling order).
    assert.deepEqual(tasks.get('stats-typed-plan')?.dependencies, ['ingest', 'schema']);
    assert.deepEqual(tasks.get('schema')?.dependencies, ['stats']);
  });
});

describe('Argo target: replay equals a local run', function () {
  this.timeout(300_000);
  let tributary: string[];
  let ws: { dir: string; file: string };
  let local: { dir: string; file: string };
  let replay: ReplayResult;

  before(async () => {
    tributary = await bundleCli();
    ws = await taxiWorkspace(0.25, { dataOnly: true });
    local = await taxiWorkspace(0.25, { dataOnly: true });
    const wf = await compileArgo(await loadPlanOrThrow(ws.file), { image: 'i', store: parseStore('pvc:data') });
    await writeFile(join(ws.dir, 'wf.yaml'), stringify(wf));
    replay = await replayWorkflow(join(ws.dir, 'wf.yaml'), { workspace: ws.dir, tributary, parallel: 2 });
    const summary = await runPipeline(await loadPlanOrThrow(local.file), { workers: 2 });
    assert.equal(summary.state, 'COMPLETE');
  });
  after(async () => {
    await rm(ws.dir, { recursive: true, force: true });
    await rm(local.dir, { recursive: true, force: true });
    await rm(join(repoRoot, 'test', '.tmp', `argo-cli-${process.pid}`), { recursive: true, force: true });
  });

  it('runs every step as its own process, fanning out over shards', () => {
    assert.equal(replay.phase, 'Succeeded', JSON.stringify(replay.steps.filter((s) => s.phase !== 'Succeeded')));
    const csvBytes = readFileSync(join(ws.dir, 'taxi', 'data', 'taxi.csv')).length;
    const maps = replay.steps.filter((s) => s.name.startsWith('example-gen-shard('));
    // At least one range per 0.25 MiB of input: the map really is over shards.
    assert.ok(maps.length >= Math.ceil(csvBytes / (0.25 * 1024 * 1024)), `${maps.length} map steps`);
    assert.ok(replay.steps.filter((s) => s.name.startsWith('statistics-gen-shard(')).length > 1);
    assert.equal(replay.steps.at(-1)?.name, 'finish-run');
  });

  it('produces the same statistics (byte for byte), schema, anomalies and example rows', async () => {
    const a = await (await MetadataStore.open(join(ws.dir, 'taxi', '.tributary', 'metadata.json'))).read();
    const b = await (await MetadataStore.open(join(local.dir, 'taxi', '.tributary', 'metadata.json'))).read();
    const replayed = nodeOutputs(a, replay.runId);
    const localRun = nodeOutputs(b, b.executions[0].runId);
    assert.deepEqual(Object.keys(replayed).sort(), ['example_gen', 'example_validator', 'schema_gen', 'statistics_gen']);
    const files = (uri: string) => readdirSync(uri).sort();
    for (const [node, output] of [['statistics_gen', 'statistics'], ['schema_gen', 'schema'], ['example_validator', 'anomalies']]) {
      const x = replayed[node][output].uri;
      const y = localRun[node][output].uri;
      assert.deepEqual(files(x), files(y));
      for (const f of files(x)) assert.ok(readFileSync(join(x, f)).equals(readFileSync(join(y, f))), `${node}/${f} differs`);
      assert.deepEqual(replayed[node][output].properties, localRun[node][output].properties);
    }
    assert.deepEqual(replayed.example_gen.examples.properties, localRun.example_gen.examples.properties);
    const rows = examplesRows(replayed.example_gen.examples.uri);
    assert.deepEqual(rows, examplesRows(localRun.example_gen.examples.uri));
    const csvLines = readFileSync(join(ws.dir, 'taxi', 'data', 'taxi.csv'), 'utf8').trimEnd().split('\n').length - 1;
    assert.equal(Object.values(rows).reduce((n, r) => n + r.length, 0), csvLines);
    const run = a.contexts.find((c) => c.type === 'pipeline_run' && c.name === replay.runId);
    assert.equal(run?.properties.state, 'COMPLETE');
    assert.deepEqual(readdirSync(join(ws.dir, 'taxi', '.tributary', 'runs', replay.runId)).filter((f) => f.endsWith('.shards')), []);
  });
});

describe('Argo target: fan-out in one process equals the executor', function () {
  this.timeout(120_000);
  let pool: WorkerPool;
  let ws: { dir: string; file: string };
  before(async () => {
    pool = createPool(2);
    ws = await taxiWorkspace(0.125);
  });
  after(async () => {
    await pool.close();
    await rm(ws.dir, { recursive: true, force: true });
  });

  it('StatisticsGen map/merge over shards gives exactly the single-process statistics', async () => {
    const plan = await loadPlanOrThrow(ws.file);
    const single = await runPipeline(plan, { only: ['example_gen', 'statistics_gen'], pool, runId: 'single' });
    assert.equal(single.state, 'COMPLETE');
    const runId = 'fanned';
    const options = { runId, pool, useCache: false };
    const count = await planShards(plan, 'statistics_gen', options);
    assert.ok(count > 2, `${count} shards`);
    // Map steps in reverse order: the merge must not depend on the order partials arrive in.
    for (let i = count - 1; i >= 0; i--) await runShard(plan, 'statistics_gen', i, options);
    const merged = await mergeShards(plan, 'statistics_gen', options);
    assert.equal(merged.state, 'COMPLETE');
    const dirA = single.nodes[1].outputs!.statistics.uri;
    const dirB = merged.outputs.statistics.uri;
    assert.notEqual(dirA, dirB);
    for (const f of readdirSync(dirA)) assert.ok(readFileSync(join(dirA, f)).equals(readFileSync(join(dirB, f))), f);
    // Independent check of the merged counts: rows per split equal the Examples' row counts.
    const examples = single.nodes[0].outputs!.examples.properties as { splits: Record<string, { rows: number }> };
    assert.deepEqual(merged.outputs.statistics.properties.numExamples, Object.fromEntries(Object.entries(examples.splits).map(([s, v]) => [s, v.rows])));
  });

  it('a merge with a missing partial fails with a clear message', async () => {
    const plan = await loadPlanOrThrow(ws.file);
    const options = { runId: 'partial', pool, useCache: false };
    const count = await planShards(plan, 'statistics_gen', options);
    for (let i = 1; i < count; i++) await runShard(plan, 'statistics_gen', i, options);
    await assert.rejects(mergeShards(plan, 'statistics_gen', options), /shard\(s\) 0 of \d+ have no partial/);
    await assert.rejects(runShard(plan, 'statistics_gen', count, options), /does not exist/);
  });
});

describe('Argo target: a failed step stops its dependents in the replay', function () {
  this.timeout(180_000);
  let dir: string;
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(join(repoRoot, 'test', '.tmp', `argo-cli-${process.pid}`), { recursive: true, force: true });
  });

  it('omits the failed branch, finishes the other, retries as configured and records the run FAILED', async () => {
    dir = await mkdtemp(join(tmpdir(), 'argo-fail-'));
    await writeFile(join(dir, 'package.json'), '{}\n');
    await cp(join(repoRoot, 'samples', 'taxi', 'data'), join(dir, 'data'), { recursive: true });
    await writeFile(join(dir, 'bad.csv'), 'a,b\n1,2\n3,"unterminated\n');
    await writeFile(
      join(dir, 'two.pipeline.yaml'),
      stringify({
        name: 'two',
        nodes: {
          good: { component: 'CsvExampleGen', params: { input: 'data/taxi.csv' } },
          good_stats: { component: 'StatisticsGen', inputs: { examples: 'good.examples' } },
          bad: { component: 'CsvExampleGen', params: { input: 'bad.csv' }, run: { retries: 1, fan_out: false } },
          bad_stats: { component: 'StatisticsGen', inputs: { examples: 'bad.examples' } },
          bad_schema: { component: 'SchemaGen', inputs: { statistics: 'bad_stats.statistics' } },
        },
      }),
    );
    const wf = await compileArgo(await loadPlanOrThrow(join(dir, 'two.pipeline.yaml')), { image: 'i', store: parseStore('pvc:data') });
    await writeFile(join(dir, 'wf.yaml'), stringify(wf));
    const result = await replayWorkflow(join(dir, 'wf.yaml'), { workspace: dir, tributary: await bundleCli(), parallel: 2 });
    const phase = (name: string) => result.steps.find((s) => s.name === name)?.phase;
    assert.equal(result.phase, 'Failed');
    assert.equal(phase('bad'), 'Failed');
    assert.equal(result.steps.find((s) => s.name === 'bad')?.attempts, 2);
    assert.match(result.steps.find((s) => s.name === 'bad')?.output ?? '', /bad\.csv:3/);
    for (const omitted of ['bad-stats-plan', 'bad-stats-shard', 'bad-stats', 'bad-schema']) assert.equal(phase(omitted), 'Omitted', omitted);
    assert.equal(phase('good'), 'Succeeded');
    assert.equal(phase('good-stats'), 'Succeeded');
    assert.equal(phase('finish-run'), 'Succeeded');
    const data = await (await MetadataStore.open(join(dir, '.tributary', 'metadata.json'))).read();
    const run = data.contexts.find((c) => c.type === 'pipeline_run' && c.name === result.runId);
    assert.equal(run?.properties.state, 'FAILED');
    assert.deepEqual(run?.properties.nodeStates, { good: 'COMPLETE', bad: 'FAILED', good_stats: 'COMPLETE', bad_stats: 'SKIPPED', bad_schema: 'SKIPPED' });
  });
});
