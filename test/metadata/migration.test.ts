/**
 * A root in the first format (one metadata.json, made by the code before the split: see
 * test/fixtures/legacy-store) is migrated once, atomically, with a backup; afterwards runs,
 * lineage and the cache work on it, and each of the two pipelines sharing the root sees only its
 * own runs and artifacts.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { MetadataStore } from '../../runtime/src/metadata/store.ts';
import { readStoreView } from '../../runtime/src/metadata/embedded/reader.ts';
import { artifactsByType, runsFromStore } from '../../extension/src/views/model.ts';
import type { StoreData } from '../../runtime/src/core/metadata-types.ts';

const FIXTURE = 'test/fixtures/legacy-store';

describe('metadata store migration from metadata.json, and two pipelines on one root', function () {
  this.timeout(180_000);
  let dir: string;
  let legacy: StoreData;
  let legacyText: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trib-migrate-'));
    for (const f of ['a.pipeline.yaml', 'b.pipeline.yaml', 'data']) cpSync(join(FIXTURE, f), join(dir, f), { recursive: true });
    cpSync(join(FIXTURE, 'tributary-root'), join(dir, '.tributary'), { recursive: true });
    legacyText = readFileSync(join(dir, '.tributary', 'metadata.json'), 'utf8').replaceAll('${DIR}', dir);
    writeFileSync(join(dir, '.tributary', 'metadata.json'), legacyText);
    legacy = JSON.parse(legacyText) as StoreData;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const runs = async (file: string) => {
    const r = await runCli(['runs', join(dir, file), '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { runId: string; pipeline: string; executions: { nodeId: string; state: string }[] }[];
  };

  it('migrates on first use, once, keeping a backup; runs, lineage and the cache work after it', async () => {
    const legacyRuns = legacy.contexts.filter((c) => c.type === 'pipeline_run');
    // Two processes open the old store at once: one migrates, the other waits and reads the result.
    const [a, b] = await Promise.all([runs('a.pipeline.yaml'), runs('b.pipeline.yaml')]);
    assert.equal(readFileSync(join(dir, '.tributary', 'metadata.json.v1-backup'), 'utf8'), legacyText, 'the backup is the old file');
    assert.ok(!existsSync(join(dir, '.tributary', 'metadata.json')), 'the old file is gone (no second migration)');
    assert.deepEqual(readdirSync(join(dir, '.tributary')).filter((n) => n.startsWith('metadata')).sort(), ['metadata', 'metadata.json.v1-backup']);

    // Each pipeline lists its own runs only, newest first.
    const own = (p: string) => legacyRuns.filter((c) => c.properties.pipeline === p).sort((x, y) => String(y.properties.startedAt).localeCompare(String(x.properties.startedAt))).map((c) => c.name);
    assert.deepEqual(a.map((r) => r.runId), own('shared-a'));
    assert.deepEqual(b.map((r) => r.runId), own('shared-b'));
    assert.ok(a.every((r) => r.pipeline === 'shared-a') && b.every((r) => r.pipeline === 'shared-b'));
    assert.deepEqual(b[0].executions.map((e) => e.state), ['CACHED', 'CACHED']);

    // Every record came over, with the same artifact folders.
    const store = await MetadataStore.open(join(dir, '.tributary', 'metadata'));
    const data = await store.read();
    for (const kind of ['artifacts', 'executions', 'events', 'associations', 'attributions'] as const) assert.equal(data[kind].length, legacy[kind].length, kind);
    assert.deepEqual(data.artifacts.map((x) => x.uri).sort(), legacy.artifacts.map((x) => x.uri).sort());

    // Lineage of the schema: schema ← statistics ← examples.
    const schema = data.artifacts.find((x) => x.type === 'Schema')!;
    const lineage = await runCli(['lineage', String(schema.id), join(dir, 'a.pipeline.yaml')]);
    assert.equal(lineage.code, 0, lineage.stderr);
    assert.match(lineage.stdout, /Schema #\d+[^]*ExampleStatistics #\d+[^]*Examples #\d+/);

    // Cache keys now follow artifact content, which the old records never hashed: the first run
    // after the upgrade computes each step once, and from then on an unchanged run reuses everything.
    const states = async () => {
      const r = await runCli(['run', join(dir, 'a.pipeline.yaml'), '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { nodes: { state: string }[] }).nodes.map((n) => n.state);
    };
    assert.deepEqual(await states(), ['COMPLETE', 'COMPLETE', 'COMPLETE']);
    assert.deepEqual(await states(), ['CACHED', 'CACHED', 'CACHED']);
    assert.equal((await runs('a.pipeline.yaml')).length, 4, 'the two runs of a since the upgrade are listed with its two old ones');
    assert.equal((await runs('b.pipeline.yaml')).length, 1, 'a run of a never shows under b');
  });

  it('the Runs and Artifacts views and --limit paging show one pipeline of a shared root', async () => {
    await runs('a.pipeline.yaml'); // migrates
    for (let i = 0; i < 2; i++) assert.equal((await runCli(['run', join(dir, 'b.pipeline.yaml')])).code, 0);
    const store = join(dir, '.tributary', 'metadata');
    const viewA = readStoreView(store, { pipeline: 'shared-a' })!;
    const viewB = readStoreView(store, { pipeline: 'shared-b' })!;
    assert.equal(runsFromStore(viewA).length, 2);
    assert.equal(runsFromStore(viewB).length, 3);
    // a's migrated artifacts stay listed under a, once. b's first run after the upgrade computed its
    // own (old records carry no content fingerprint, so they are not cache hits), its second reused them.
    const count = (m: Map<string, unknown[]>) => Object.fromEntries([...m].map(([t, items]) => [t, items.length]));
    assert.deepEqual(count(artifactsByType(viewA, 'shared-a')), { ExampleStatistics: 1, Examples: 1, Schema: 1 });
    assert.deepEqual(count(artifactsByType(viewB, 'shared-b')), { ExampleStatistics: 1, Examples: 1 });

    const page1 = await runCli(['runs', join(dir, 'b.pipeline.yaml'), '--limit', '2']);
    assert.equal(page1.code, 0, page1.stderr);
    const shown = [...page1.stdout.matchAll(/^(\d{8}-\d{6}-[0-9a-f]{4}) /gm)].map((m) => m[1]);
    assert.equal(shown.length, 2);
    const next = /--before (\S+)/.exec(page1.stdout)![1];
    assert.equal(next, shown[1]);
    const page2 = await runCli(['runs', join(dir, 'b.pipeline.yaml'), '--limit', '2', '--before', next]);
    assert.deepEqual([...page2.stdout.matchAll(/^(\d{8}-\d{6}-[0-9a-f]{4}) /gm)].map((m) => m[1]), [legacy.contexts.find((c) => c.type === 'pipeline_run' && c.properties.pipeline === 'shared-b')!.name]);
    assert.doesNotMatch(page2.stdout, /--before/, 'the last page says so');
  });
});
