/**
 * `compile --target argo` with a shared Postgres metadata store: every step reads the URL from a
 * Kubernetes secret, and on S3 metadata-writing steps are no longer chained one after another. A
 * replay runs the steps as separate processes, the shard steps of a node side by side, all writing
 * one Postgres server (started by the tests), and the run is recorded whole.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadPlanOrThrow } from '../../runtime/src/engine/load-pipeline.ts';
import { compileArgo, parseSecretRef, parseStore } from '../../runtime/src/targets/argo/compile.ts';
import { replayWorkflow } from '../../runtime/src/targets/argo/replay.ts';
import { PostgresMetadataStore } from '../../runtime/src/metadata/postgres/store.ts';
import { usePostgres } from '../helpers/postgres.ts';
import { bundleCli, repoRoot, taxiWorkspace, TAXI_DATA_NODES } from './helpers.ts';

type Json = Record<string, any>;
const templates = (wf: Json) => wf.spec.templates as Json[];
const tasks = (wf: Json) => new Map((templates(wf).find((t) => t.name === 'pipeline')!.dag.tasks as Json[]).map((t) => [t.name as string, t]));

describe('Argo target with a Postgres metadata store', function () {
  this.timeout(600_000);
  const server = usePostgres();

  it('gives every step the URL from a secret and does not chain metadata writers on S3', async () => {
    const ws = await taxiWorkspace(0.25, { dataOnly: true });
    try {
      const plan = await loadPlanOrThrow(ws.file);
      const store = parseStore('s3://bucket/prefix');
      const chained = tasks(await compileArgo(plan, { image: 'i', store }));
      const shared = (await compileArgo(plan, { image: 'i', store, metadata: parseSecretRef('team-metadata') })) as Json;
      // Embedded store on S3: schema_gen waits for the previous writer although it only needs statistics.
      assert.ok((chained.get('example-validator')!.dependencies as string[]).length >= 2);
      for (const [name, task] of tasks(shared)) {
        const before = (chained.get(name)!.dependencies ?? []) as string[];
        const now = (task.dependencies ?? []) as string[];
        assert.ok(now.every((d) => before.includes(d)), `${name} gained a dependency`);
      }
      assert.deepEqual(tasks(shared).get('example-validator')!.dependencies, ['statistics-gen', 'schema-gen'], 'only its data edges');
      for (const t of templates(shared).filter((x) => x.container)) {
        assert.deepEqual(
          t.container.env.find((e: Json) => e.name === 'TRIBUTARY_METADATA'),
          { name: 'TRIBUTARY_METADATA', valueFrom: { secretKeyRef: { name: 'team-metadata', key: 'url' } } },
          t.name,
        );
      }
      assert.doesNotMatch(JSON.stringify(shared), /postgres:\/\//, 'no URL in the workflow');
    } finally {
      await rm(ws.dir, { recursive: true, force: true });
    }
  });

  it('refuses a pipeline with metadata.url_env compiled without --metadata-secret', async () => {
    const ws = await taxiWorkspace(0.25, { dataOnly: true });
    try {
      const plan = { ...(await loadPlanOrThrow(ws.file)), metadata: { url_env: 'TEAM_DB' } };
      await assert.rejects(compileArgo(plan, { image: 'i', store: parseStore('pvc:x') }), /--metadata-secret NAME/);
      const wf = (await compileArgo(plan, { image: 'i', store: parseStore('pvc:x'), metadata: parseSecretRef('db:dsn') })) as Json;
      const env = templates(wf).find((t) => t.name === 'schema-gen')!.container.env as Json[];
      assert.deepEqual(env, [{ name: 'TEAM_DB', valueFrom: { secretKeyRef: { name: 'db', key: 'dsn' } } }]);
    } finally {
      await rm(ws.dir, { recursive: true, force: true });
    }
  });

  it('replays with shard steps writing the server side by side, and records the whole run', async () => {
    const url = await server.url();
    const tributary = await bundleCli();
    const ws = await taxiWorkspace(0.25, { dataOnly: true });
    const previous = process.env.TRIBUTARY_METADATA;
    process.env.TRIBUTARY_METADATA = url; // what the secret gives each pod; the replay passes it on
    try {
      const wf = await compileArgo(await loadPlanOrThrow(ws.file), { image: 'i', store: parseStore('s3://bucket/p'), metadata: parseSecretRef('m') });
      await writeFile(join(ws.dir, 'wf.yaml'), stringify(wf));
      const replay = await replayWorkflow(join(ws.dir, 'wf.yaml'), { workspace: ws.dir, tributary, parallel: 3 });
      assert.equal(replay.phase, 'Succeeded', JSON.stringify(replay.steps.filter((s) => s.phase !== 'Succeeded')));
      assert.ok(!existsSync(join(ws.dir, 'taxi', '.tributary', 'metadata')), 'no embedded store');
      const store = await PostgresMetadataStore.open(url);
      const seq = (await store.queries.seqOf(replay.runId))!;
      const data = await store.queries.view([seq], false);
      await store.close();
      const done = data.executions.filter((e) => e.state === 'COMPLETE').map((e) => e.nodeId).sort();
      assert.deepEqual(done, [...TAXI_DATA_NODES].sort());
      assert.equal(data.contexts.find((c) => c.type === 'pipeline_run')?.properties.state, 'COMPLETE');
    } finally {
      if (previous === undefined) delete process.env.TRIBUTARY_METADATA;
      else process.env.TRIBUTARY_METADATA = previous;
      await rm(ws.dir, { recursive: true, force: true });
      await rm(join(repoRoot, 'test', '.tmp', `argo-cli-${process.pid}`), { recursive: true, force: true });
    }
  });
});
