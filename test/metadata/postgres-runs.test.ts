/**
 * Whole runs on the Postgres store through the CLI: the store is chosen by the pipeline's
 * `metadata: { url_env: NAME }` or by $TRIBUTARY_METADATA, runs and the cache work as on the
 * embedded store, `runs`, `lineage` and `logs` read from the server, and nothing is written under
 * `<root>/metadata`. The server is started by the tests (helpers/postgres.ts).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { parsePipeline } from '../../runtime/src/pipeline/parse.ts';
import { artifactsByType, runsFromStore } from '../../extension/src/views/model.ts';
import { onPostgres, readPipelineStore } from '../../extension/src/views/store-source.ts';

const FIXTURE = 'test/fixtures/legacy-store';

describe('runs on the Postgres metadata store', function () {
  this.timeout(300_000);
  const server = usePostgres();
  let dir: string;
  let url: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trib-pg-runs-'));
    cpSync(join(FIXTURE, 'data'), join(dir, 'data'), { recursive: true });
    const text = readFileSync(join(FIXTURE, 'a.pipeline.yaml'), 'utf8');
    writeFileSync(join(dir, 'env.pipeline.yaml'), text.replace('name: shared-a', 'name: by-env'));
    writeFileSync(join(dir, 'file.pipeline.yaml'), text.replace('name: shared-a', 'name: by-file\nmetadata: { url_env: TEAM_METADATA_URL }'));
    url = await server.url();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (args: string[], env: Record<string, string>) => {
    const r = await runCli(args, { ...process.env, TRIBUTARY_METADATA: '', ...env });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const states = async (file: string, env: Record<string, string>) =>
    (JSON.parse((await cli(['run', join(dir, file), '--json'], env)).trim().split('\n').pop()!) as { nodes: { state: string }[] }).nodes.map((n) => n.state);

  it('runs, reuses the cache and answers runs, lineage and logs from the server', async () => {
    for (const [file, env] of [['env.pipeline.yaml', { TRIBUTARY_METADATA: url }], ['file.pipeline.yaml', { TEAM_METADATA_URL: url }]] as const) {
      // The second pipeline runs the same steps on the same data: it reuses the first one's work, as
      // two pipelines sharing an embedded root do.
      const first = file === 'env.pipeline.yaml' ? 'COMPLETE' : 'CACHED';
      assert.deepEqual(await states(file, env), [first, first, first], file);
      assert.deepEqual(await states(file, env), ['CACHED', 'CACHED', 'CACHED'], `${file}: the second run is all cache hits`);
      const runs = JSON.parse(await cli(['runs', join(dir, file), '--json'], env)) as { runId: string; pipeline: string; executions: { nodeId: string }[] }[];
      assert.equal(runs.length, 2, `${file}: its own runs only`);
      assert.ok(runs.every((r) => r.pipeline === (file === 'env.pipeline.yaml' ? 'by-env' : 'by-file')));
      const log = await cli(['logs', runs[1].runId, 'schema_gen', join(dir, file)], env);
      assert.ok(log.length > 0);
    }
    assert.ok(!existsSync(join(dir, '.tributary', 'metadata')), 'no embedded store was made');
    // Lineage across the server: the schema ← statistics ← examples.
    const { PostgresMetadataStore } = await import('../../runtime/src/metadata/postgres/store.ts');
    const store = await PostgresMetadataStore.open(url);
    const schema = (await store.read()).artifacts.find((a) => a.type === 'Schema')!;
    await store.close();
    const lineage = await cli(['lineage', String(schema.id), join(dir, 'env.pipeline.yaml')], { TRIBUTARY_METADATA: url });
    assert.match(lineage, /Schema #\d+[^]*ExampleStatistics #\d+[^]*Examples #\d+/);
  });

  it("the editor's Runs and Artifacts views show the server's runs and artifacts, read through `tributary metadata view`", async () => {
    const env = { ...process.env, TRIBUTARY_METADATA: '', TEAM_METADATA_URL: url };
    await cli(['run', join(dir, 'file.pipeline.yaml')], env);
    await cli(['run', join(dir, 'file.pipeline.yaml')], env);
    // What the language server says of the file, and the CLI as the extension's runner spawns it.
    const source = { file: join(dir, 'file.pipeline.yaml'), name: 'by-file', metadataFile: join(dir, '.tributary', 'metadata'), metadataUrlEnv: 'TEAM_METADATA_URL' };
    const viaCli = (args: string[]) => runCli(args, env);
    assert.equal(onPostgres(source, env), true);
    const { data, error } = await readPipelineStore(source, {}, viaCli, env);
    assert.equal(error, undefined);
    const runs = runsFromStore(data!);
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => r.executions.map((e) => e.state)), [['CACHED', 'CACHED', 'CACHED'], ['COMPLETE', 'COMPLETE', 'COMPLETE']]);
    assert.ok(runs[1].executions.every((e) => e.outputs.length > 0), 'each execution with its output artifacts');
    assert.deepEqual([...artifactsByType(data!, 'by-file').keys()].sort(), ['ExampleStatistics', 'Examples', 'Schema']);
    // A named artifact comes with its lineage's runs; a run named by id too.
    const schema = artifactsByType(data!, 'by-file').get('Schema')![0];
    const withLineage = await readPipelineStore(source, { artifactId: schema.id, runIds: [runs[0].runId], limit: 1 }, viaCli, env);
    assert.ok(withLineage.data!.artifacts.some((a) => a.type === 'Examples'), 'the schema came with what it was made from');
    // The same pipeline on $TRIBUTARY_METADATA: also read from the server, not from the (absent) files.
    const byEnv = { ...source, file: join(dir, 'env.pipeline.yaml'), name: 'by-env', metadataUrlEnv: undefined };
    const envOnly = { ...process.env, TRIBUTARY_METADATA: url };
    assert.equal(onPostgres(byEnv, envOnly), true);
    assert.deepEqual(runsFromStore((await readPipelineStore(byEnv, {}, (args) => runCli(args, envOnly), envOnly)).data!), [], 'by-env has no runs of its own');
    // Without the variable the view says why instead of showing an empty store.
    const unset = await readPipelineStore(source, {}, (args) => runCli(args, { ...process.env, TEAM_METADATA_URL: '' }), { TEAM_METADATA_URL: '' });
    assert.match(unset.error ?? '', /TEAM_METADATA_URL/);
  });

  it('says which variable is missing or wrong, never printing a password', async () => {
    const missing = await runCli(['run', join(dir, 'file.pipeline.yaml')], { ...process.env, TEAM_METADATA_URL: '' });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /\$TEAM_METADATA_URL \(metadata\.url_env\), which is not set/);
    const wrong = await runCli(['run', join(dir, 'env.pipeline.yaml')], { ...process.env, TRIBUTARY_METADATA: 'mysql://me:secret@host/db' });
    assert.match(wrong.stderr, /\$TRIBUTARY_METADATA must be a postgres:\/\/ URL/);
    assert.doesNotMatch(wrong.stderr, /secret/);
  });
});

describe('the pipeline file\'s metadata section', () => {
  const diagnostics = (section: string) => parsePipeline(`name: p\nnodes: {}\n${section}\n`, 'p.pipeline.yaml').diagnostics.map((d) => d.message);
  it('takes { url_env: NAME } and refuses a URL written in the file', () => {
    assert.deepEqual(parsePipeline('name: p\nnodes: {}\nmetadata: { url_env: TEAM_DB }\n', 'p.pipeline.yaml').spec.metadata, { url_env: 'TEAM_DB' });
    assert.match(diagnostics('metadata: { url: "postgres://me:pw@db/x" }').join(), /A URL is written in the pipeline file/);
    assert.match(diagnostics('metadata: { url_env: "not a name" }').join(), /is not an environment variable name/);
    assert.match(diagnostics('metadata: postgres').join(), /metadata takes \{ url_env: NAME \}/);
  });
});
