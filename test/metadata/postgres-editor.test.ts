/**
 * Every editor surface that reads metadata shows the same for a pipeline whose store is on a
 * Postgres server as for the same runs on the embedded store: artifact viewers, the lineage panel,
 * the canvas inspector, approvals, the recent-artifacts picker and run comparison. The runs are
 * made once on the embedded store (two real runs, then a training run with a waiting approval
 * written through the store API) and copied record for record to a Postgres server that the tests
 * start (helpers/postgres.ts), so both stores hold the same ids, times and artifact folders.
 * The editor reads Postgres through `tributary metadata view` (in this process for most checks, a
 * real child process for some) and polls `tributary metadata stamp` to see other processes write.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { runCli } from '../helpers/run-cli.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { VALIDATION_NODES } from '../helpers/pipelines.ts';
import { addMetadataCommands } from '../../runtime/src/cli/metadata-commands.ts';
import { openHistory } from '../../runtime/src/cli/open-store.ts';
import type { ArtifactType } from '../../runtime/src/core/artifacts.ts';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { PostgresMetadataStore } from '../../runtime/src/metadata/postgres/store.ts';
import { addEvent, associate, attribute, createArtifact, createExecution, finishExecution, getOrCreateContext } from '../../runtime/src/metadata/records.ts';
import { inspectNode, inspectPipelineNode } from '../../extension/src/canvas/inspect.ts';
import { artifactPayload } from '../../extension/src/viewers/load.ts';
import { lineagePayload } from '../../extension/src/viewers/lineage.ts';
import { loadViewer, recentArtifactsOf } from '../../extension/src/viewers/viewer-data.ts';
import { readOpenRuns, reviewArtifactOf, waitingApprovals } from '../../extension/src/runs/notifications.ts';
import { RemoteStorePoller } from '../../extension/src/views/remote-poll.ts';
import { postgresStamps, type CliRunner, type StoreSource } from '../../extension/src/views/store-source.ts';

const NAME = 'editor-pg';
const URL_ENV = 'TRIB_EDITOR_TEST_METADATA_URL';

/** `tributary metadata …` as the extension runs it, but in this process (each call opens and closes the store). */
const inProcessCli: CliRunner = async (args) => {
  let stdout = '';
  const program = new Command('tributary').exitOverride();
  addMetadataCommands(program, openHistory, (line) => (stdout += `${line}\n`));
  try {
    await program.parseAsync(args, { from: 'user' });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    return { code: 1, stdout, stderr: (e as Error).message };
  }
};

/** A training run written through the store API: tuner → trainer (on run 1's examples) → evaluator → an approval waiting on the evaluation. */
async function trainingRun(store: MetadataStore, root: string, runId: string): Promise<void> {
  await store.ensureRun(runId, NAME);
  const examples = (await store.read()).artifacts.find((a) => a.type === 'Examples')!;
  await store.transaction(runId, (data) => {
    const pipeline = getOrCreateContext(data, 'pipeline', NAME);
    const run = getOrCreateContext(data, 'pipeline_run', runId, { pipeline: NAME, state: 'WAITING', startedAt: new Date().toISOString(), pid: process.pid, host: hostname() });
    const step = (nodeId: string, component: string, params: Record<string, unknown>, inputs: Record<string, number>, outputs: Record<string, [ArtifactType, Record<string, unknown>]>, waiting = false) => {
      const e = createExecution(data, { component, componentVersion: '1', nodeId, runId, state: 'RUNNING', params, cacheKey: `${runId}-${nodeId}`, pid: process.pid, logFileFor: (id) => `logs/${runId}/${nodeId}-${id}.log` });
      associate(data, e.id, [pipeline, run]);
      for (const [key, id] of Object.entries(inputs)) addEvent(data, e.id, id, 'INPUT', key);
      const made: Record<string, number> = {};
      for (const [key, [type, files]] of Object.entries(outputs)) {
        const a = createArtifact(data, type, (id) => join(root, nodeId, key, String(id)), `fp-${nodeId}-${key}`);
        for (const [name, content] of Object.entries(files)) {
          mkdirSync(dirname(join(a.uri, name)), { recursive: true });
          writeFileSync(join(a.uri, name), typeof content === 'string' ? content : JSON.stringify(content));
        }
        a.state = 'LIVE';
        addEvent(data, e.id, a.id, 'OUTPUT', key);
        attribute(data, a.id, [pipeline]);
        made[key] = a.id;
      }
      if (waiting) {
        e.state = 'WAITING';
        e.properties.approval = { requestedAt: e.startedAt };
      } else finishExecution(data, e.id, 'COMPLETE');
      return made;
    };
    const tuned = step('tuner', 'Tuner', {}, { examples: examples.id }, { best_hyperparameters: ['HyperParameters', { 'best_hyperparameters.json': { learning_rate: 0.01 } }] });
    const model = step('trainer', 'Trainer', { epochs: 2, hyperparameters: { hidden: 8 } }, { examples: examples.id, hyperparameters: tuned.best_hyperparameters }, {
      model: ['Model', { 'bundle/bundle.json': { backend: 'cpu', task: 'binary', label: 'tips' }, 'logs/metrics.jsonl': '{"epoch":0,"loss":1}\n{"epoch":1,"loss":0.5}\n' }],
    });
    const evaluation = { task: 'binary', label: 'tips', split: 'eval', model: { id: model.model, uri: '' }, baseline: null, slices: [{ name: 'Overall', slice: {}, example_count: 9, metrics: { example_count: 9, auc: 0.75 } }] };
    const judged = step('evaluator', 'Evaluator', {}, { model: model.model }, {
      evaluation: ['ModelEvaluation', { 'evaluation.json': evaluation }],
      blessing: ['ModelBlessing', { 'blessing.json': { blessed: true, reasons: [] } }],
    });
    step('approval', 'ManualApproval', {}, { evaluation: judged.evaluation, blessing: judged.blessing }, {}, true);
  });
}

/** The embedded store's runs, record for record, into an empty Postgres store (the same run numbers, so the same ids). */
async function copyRuns(from: MetadataStore, to: PostgresMetadataStore): Promise<void> {
  for (const seq of from.reader.runSeqs().reverse()) {
    const run = from.reader.run(seq)!;
    assert.equal(await to.ensureRun(run.header.runId, run.header.pipeline), seq, 'the same run number on both stores');
    const copy = structuredClone(run.data);
    await to.transaction(run.header.runId, (data) => {
      data.contexts.push(...copy.contexts);
      data.artifacts.push(...copy.artifacts);
      data.executions.push(...copy.executions);
      data.events.push(...copy.events);
      data.associations.push(...copy.associations);
      data.attributions.push(...copy.attributions);
    });
  }
}

describe('editor surfaces on a Postgres metadata store', function () {
  this.timeout(300_000);
  const server = usePostgres();
  let dir: string;
  let root: string;
  let url: string;
  let env: NodeJS.ProcessEnv;
  let embedded: StoreSource;
  let postgres: StoreSource;
  let everything: StoreData;
  const saved = process.env[URL_ENV];

  before(async function () {
    this.timeout(300_000);
    dir = mkdtempSync(join(tmpdir(), 'trib-pg-editor-'));
    root = join(dir, '.tributary');
    cpSync('test/fixtures/legacy-store/data', join(dir, 'data'), { recursive: true });
    const text = `name: ${NAME}\nnodes:\n  example_gen:\n    component: CsvExampleGen\n    params:\n      input: data/taxi.csv\n${VALIDATION_NODES}`;
    writeFileSync(join(dir, 'embedded.pipeline.yaml'), text);
    writeFileSync(join(dir, 'server.pipeline.yaml'), `${text}metadata: { url_env: ${URL_ENV} }\n`);
    url = await server.url();
    // The editor's environment: the server's URL in the variable the pipeline names, no $TRIBUTARY_METADATA.
    env = { ...process.env, TRIBUTARY_METADATA: '', [URL_ENV]: url };
    process.env[URL_ENV] = url; // for the in-process CLI
    delete process.env.TRIBUTARY_METADATA;
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['run', join(dir, 'embedded.pipeline.yaml')], env);
      assert.equal(r.code, 0, r.stderr);
    }
    const store = await MetadataStore.open(join(root, 'metadata'));
    await trainingRun(store, root, 'training-run');
    everything = await store.read();
    const pg = await PostgresMetadataStore.open(url);
    await copyRuns(store, pg);
    await pg.close();
    embedded = { file: join(dir, 'embedded.pipeline.yaml'), name: NAME, metadataFile: join(root, 'metadata') };
    postgres = { file: join(dir, 'server.pipeline.yaml'), name: NAME, metadataFile: join(root, 'metadata'), metadataUrlEnv: URL_ENV };
  });
  after(() => {
    if (saved === undefined) delete process.env[URL_ENV];
    else process.env[URL_ENV] = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens every artifact viewer and lineage panel with the same payload as on the embedded store, and as the whole history gives', async () => {
    assert.ok(everything.artifacts.length >= 8, `a store with statistics, anomalies, a model and an evaluation (${everything.artifacts.length} artifacts)`);
    for (const a of everything.artifacts) {
      for (const kind of ['artifact', 'lineage'] as const) {
        const onServer = await loadViewer(postgres, { kind, artifactId: a.id }, inProcessCli, env);
        const onFiles = await loadViewer(embedded, { kind, artifactId: a.id }, undefined, env);
        assert.deepEqual(onServer, onFiles, `${kind} of ${a.type} #${a.id}`);
        const whole = kind === 'artifact' ? artifactPayload(everything, a.id) : lineagePayload(everything, a.id);
        assert.deepEqual(onServer.payload, whole, `${kind} of ${a.type} #${a.id}: what it reads is all it needs`);
      }
    }
    // What the payloads hold: statistics with their anomalies, a model with the tuner's values, an evaluation with its blessing and the approval waiting on it.
    const byType = (type: string) => everything.artifacts.find((a) => a.type === type)!.id;
    const statistics = (await loadViewer(postgres, { artifactId: byType('ExampleStatistics') }, inProcessCli, env)).payload;
    assert.ok(statistics.kind === 'statistics' && statistics.anomalies, 'statistics come with the anomalies computed from them');
    const model = (await loadViewer(postgres, { artifactId: byType('Model') }, inProcessCli, env)).payload;
    assert.ok(model.kind === 'model' && model.info.hyperparameters?.some((h) => h.name === 'learning_rate' && h.source.startsWith('HyperParameters')), JSON.stringify(model));
    const evaluation = (await loadViewer(postgres, { artifactId: byType('ModelBlessing') }, inProcessCli, env)).payload;
    assert.ok(evaluation.kind === 'evaluation' && evaluation.blessing?.blessed === true);
    assert.deepEqual(evaluation.approvals?.map((a) => [a.runId, a.nodeId]), [['training-run', 'approval']]);
    const lineage = (await loadViewer(postgres, { kind: 'lineage', artifactId: byType('ModelEvaluation') }, inProcessCli, env)).payload;
    assert.ok(lineage.kind === 'lineage' && lineage.graph.nodes.some((n) => n.label.startsWith('Examples #')), 'the evaluation traced back to the examples of an earlier run');
  });

  it('opens an artifact named only by its folder, and compares runs, as on the embedded store', async () => {
    const schema = everything.artifacts.find((a) => a.type === 'Schema')!;
    for (const kind of ['artifact', 'lineage'] as const) {
      const onServer = await loadViewer(postgres, { kind, artifactPath: `${schema.uri}/` }, inProcessCli, env);
      assert.equal(onServer.artifactId, schema.id);
      assert.deepEqual(onServer, await loadViewer(embedded, { kind, artifactPath: `${schema.uri}/` }, undefined, env));
    }
    const runIds = everything.contexts.filter((c) => c.type === 'pipeline_run').map((c) => c.name);
    assert.equal(runIds.length, 3);
    const compare = { kind: 'compare', runIds, pipelineLabel: 'p' } as const;
    assert.deepEqual(await loadViewer(postgres, compare, inProcessCli, env), await loadViewer(embedded, compare, undefined, env));
  });

  it('inspects each canvas node as on the embedded store, through the real CLI too, reading only the run that ran it', async () => {
    const nodes = [...new Set(everything.executions.map((e) => e.nodeId)), 'no_such_node'];
    for (const node of nodes) {
      const onServer = await inspectPipelineNode(postgres, node, inProcessCli, env);
      assert.deepEqual(onServer, await inspectPipelineNode(embedded, node, undefined, env), node);
      assert.deepEqual(onServer, inspectNode(everything, node), `${node}: as the whole history says`);
    }
    // The extension spawns the CLI: the same answer from a child process.
    const viaProcess = await inspectPipelineNode(postgres, 'schema_gen', (args) => runCli(args, env), env);
    assert.equal(viaProcess.execution?.state, 'CACHED', 'the second run was a cache hit');
    assert.deepEqual(viaProcess, inspectNode(everything, 'schema_gen'));
    assert.ok(viaProcess.inputs.length && viaProcess.outputs.length, 'with what it read and the outputs it reused');
    // Only the node's newest run (and the open training run) is read, not the newest runs.
    const { stdout } = await inProcessCli(['metadata', 'view', postgres.file, '--limit', '0', '--node', 'schema_gen'], dir);
    const seen = new Set((JSON.parse(stdout) as StoreData).contexts.filter((c) => c.type === 'pipeline_run').map((c) => c.name));
    const latest = inspectNode(everything, 'schema_gen').runId!;
    assert.deepEqual([...seen].sort(), [latest, 'training-run'].sort());
  });

  it('finds the waiting approval and lists recent artifacts as on the embedded store', async () => {
    const onServer = (await readOpenRuns(postgres, inProcessCli, env))!;
    const onFiles = (await readOpenRuns(embedded, undefined, env))!;
    assert.deepEqual(waitingApprovals(onServer), waitingApprovals(onFiles));
    assert.deepEqual(waitingApprovals(onServer).map((a) => a.nodeId), ['approval']);
    const waiting = waitingApprovals(onServer)[0].executionId;
    assert.equal(reviewArtifactOf(onServer, waiting), reviewArtifactOf(onFiles, waiting));
    assert.equal(reviewArtifactOf(onServer, waiting), everything.artifacts.find((a) => a.type === 'ModelEvaluation')!.id);
    const rows = (list: Awaited<ReturnType<typeof recentArtifactsOf>>) => list.map(({ source: _s, storeFile: _f, ...row }) => row);
    const recent = rows(await recentArtifactsOf([postgres], inProcessCli, env));
    assert.deepEqual(recent, rows(await recentArtifactsOf([embedded], undefined, env)));
    assert.equal(recent.length, everything.artifacts.filter((a) => a.state === 'LIVE').length);
    assert.ok(recent.every((r) => r.pipeline === NAME && r.nodeId), JSON.stringify(recent[0]));
  });

  it('sees other processes write to the server while polled: a run started in a terminal refreshes the views', async () => {
    const stamp = async () => (await postgresStamps([postgres], inProcessCli)).get(postgres.file)!;
    const before = await stamp();
    assert.equal(await stamp(), before, 'no write, no change');
    // Another connection starts a run, writes to it while it is open, and finishes it: each shows.
    const other = await PostgresMetadataStore.open(url);
    try {
      await other.ensureRun('elsewhere', NAME);
      const started = await stamp();
      assert.notEqual(started, before, 'a new run');
      await other.transaction('elsewhere', (data) => void getOrCreateContext(data, 'pipeline_run', 'elsewhere', { pipeline: NAME, state: 'RUNNING', pid: process.pid, host: hostname() }));
      const running = await stamp();
      assert.notEqual(running, started, 'a write to an open run');
      await other.transaction('elsewhere', (data) => void getOrCreateContext(data, 'pipeline_run', 'elsewhere', { state: 'COMPLETE' }));
      assert.notEqual(await stamp(), running, 'the run finished');
    } finally {
      await other.close();
    }
    // The views' poller, polling the real CLI: a run of the pipeline in another process shows up.
    let polls = 0;
    let changes = 0;
    const poller = new RemoteStorePoller(
      async () => {
        polls++;
        return postgresStamps([postgres], (args) => runCli(args, env));
      },
      () => changes++,
      undefined,
      50,
      400,
    );
    const until = async (what: () => boolean, message: string) => {
      for (const end = Date.now() + 120_000; !what(); ) {
        if (Date.now() > end) assert.fail(message);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    poller.setActive(true);
    try {
      await until(() => polls >= 2, 'the poller polls while active');
      assert.equal(changes, 0, 'nothing changed yet');
      const r = await runCli(['run', postgres.file], env);
      assert.equal(r.code, 0, r.stderr);
      await until(() => changes > 0, 'the run was seen');
      poller.setActive(false);
      const stopped = polls;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(polls, stopped, 'hidden: no more polls');
    } finally {
      poller.dispose();
    }
  });
});
