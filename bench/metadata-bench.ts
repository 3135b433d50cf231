// Benchmark: what a store with years of runs costs. Builds a history of N runs of a 4-node
// pipeline through the store's write path (one real run, then N - 1 runs whose records are written
// through MetadataStore, as a run writes them), then times in child processes, on that store and
// on an empty one: `tributary run --no-cache`, the same run with all cache hits, `tributary runs`
// and `tributary lineage`. Prints medians, ratios (history / empty), the store's size and each
// command's peak RSS; then runs two `run --no-cache` at once on the big store, --concurrent times,
// and checks both are recorded COMPLETE.
//
//   npm run bench:metadata -- --runs 20000 [--repeats 3] [--concurrent 10] [--keep DIR] [--postgres | --postgres-url URL]
//
// With --postgres the bench starts its own Postgres server (Debian's postgresql binaries, as the
// tests do, but with the server's default durability: fsync on) and both stores are databases on
// it (the pipeline file names them with metadata.url_env); --postgres-url URL uses a server of
// one's own (a user allowed to CREATE DATABASE). The same operations are timed on them. There the
// history is cloned server-side from the one real run: INSERT … SELECT over generate_series, each
// clone with its own run number, ids in its own block and its own cache keys (so no cache lookup
// finds them), a chunk of runs per statement, then ANALYZE (as autovacuum would).
//
// With --keep DIR the history root stays in DIR/.tributary with its pipeline DIR/bench.pipeline.yaml;
// a later run with the same DIR and no more --runs than it holds reuses it.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStoreAt } from '../runtime/src/metadata/open.ts';
import type { MetadataBackend } from '../runtime/src/metadata/backend.ts';
import type { ArtifactRecord, ContextRecord, ExecutionRecord, StoreData } from '../runtime/src/core/metadata-types.ts';
import { ID_STRIDE } from '../runtime/src/metadata/embedded/layout.ts';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';

const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
const CLI = join(ROOT, 'dist', 'runtime', 'cli.js');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    repeats: { type: 'string', default: '3' },
    concurrent: { type: 'string', default: '10' },
    keep: { type: 'string' },
    postgres: { type: 'boolean', default: false },
    'postgres-url': { type: 'string' },
  },
});
/** The Postgres server the stores live on (started below with --postgres), or none: embedded. */
let postgresUrl = values['postgres-url'];
const onPostgres = values.postgres || postgresUrl !== undefined;
const N = Number(values.runs);
const REPEATS = Number(values.repeats);
const CONCURRENT = Number(values.concurrent);

/** Records each child's peak RSS (KB) into $RSS_FILE when it exits. */
const PRELOAD = join(tmpdir(), `trib-rss-${process.pid}.mjs`);
writeFileSync(PRELOAD, "import { appendFileSync } from 'node:fs';\nprocess.on('exit', () => { if (process.env.RSS_FILE) appendFileSync(process.env.RSS_FILE, `${process.resourceUsage().maxRSS}\\n`); });\n");

interface Timed {
  ms: number;
  rssMb: number;
  stdout: string;
}

/** The env var the bench pipeline reads its Postgres URL from (metadata.url_env). */
const URL_ENV = 'BENCH_METADATA_URL';
/** Each workspace's store: its embedded folder, or its Postgres database's URL. */
const stores = new Map<string, string>();
const storeOf = (dir: string) => stores.get(dir) ?? join(dir, '.tributary', 'metadata');

function cli(args: string[], cwd: string): Promise<Timed> {
  const rssFile = join(tmpdir(), `trib-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, CLI, ...args], { cwd, env: { ...process.env, RSS_FILE: rssFile, ...(stores.has(cwd) ? { [URL_ENV]: stores.get(cwd) } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const rss = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : NaN;
      rmSync(rssFile, { force: true });
      if (code !== 0) reject(new Error(`tributary ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ ms, rssMb: rss, stdout });
    });
  });
}

const PIPELINE = readFileSync(join(ROOT, 'test/fixtures/taxi-data.pipeline.yaml'), 'utf8');

function makeWorkspace(dir: string): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const lines = readFileSync(join(ROOT, 'samples/taxi/data/taxi.csv'), 'utf8').split('\n').slice(0, 301);
  writeFileSync(join(dir, 'data', 'taxi.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'bench.pipeline.yaml'), onPostgres ? PIPELINE.replace(/^name: .*$/m, (line) => `${line}\nmetadata: { url_env: ${URL_ENV} }`) : PIPELINE);
}

/** A database on the --postgres server for one workspace (kept with --keep: reused by name). */
async function postgresStore(dir: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  stores.set(dir, url.toString());
}

/** Runs a store holds (its newest run's number). */
async function runsIn(dir: string): Promise<number> {
  if (!stores.has(dir) && !existsSync(join(storeOf(dir), 'next-run.json'))) return 0;
  const store = await openStoreAt(storeOf(dir));
  const [newest] = await store.queries.runSeqs({ limit: 1 });
  await store.close();
  return newest ?? 0;
}

/**
 * N - 1 more runs shaped like the real one (its executions, artifacts, events, contexts), each
 * written as a run writes it: the run created, its records in one transaction per node.
 */
async function cloneHistory(location: string, count: number): Promise<void> {
  const store = await openStoreAt(location);
  const real = await store.read();
  const pipeline = real.contexts.find((c) => c.type === 'pipeline')!.name;
  const nodes = real.executions.filter((e) => e.state === 'COMPLETE');
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const started = new Date(Date.UTC(2020, 0, 1) + i * 3_600_000);
    const runId = `hist-${String(i).padStart(6, '0')}`;
    await store.ensureRun(runId, pipeline);
    await store.transaction(runId, (data: StoreData) => {
      const ctx = (type: ContextRecord['type'], name: string, properties: Record<string, unknown> = {}) => {
        const c: ContextRecord = { id: data.nextId.context++, type, name, properties };
        data.contexts.push(c);
        return c;
      };
      const p = ctx('pipeline', pipeline);
      const run = ctx('pipeline_run', runId, { pipeline, pipelineContextId: p.id, state: 'COMPLETE', startedAt: started.toISOString(), finishedAt: new Date(started.getTime() + 5000).toISOString(), nodes: nodes.map((n) => n.nodeId) });
      const outputs = new Map<string, Record<string, number>>();
      for (const e of nodes) {
        const node = ctx('node', `${pipeline}.${e.nodeId}`);
        const copy: ExecutionRecord = { ...structuredClone(e), id: data.nextId.execution++, runId, cacheKey: `${e.cacheKey}-${i}`, startedAt: started.toISOString(), finishedAt: started.toISOString() };
        data.executions.push(copy);
        for (const c of [p, run, node]) data.associations.push({ executionId: copy.id, contextId: c.id });
        for (const ev of real.events.filter((x) => x.executionId === e.id)) {
          if (ev.type === 'OUTPUT') {
            const a = real.artifacts.find((x) => x.id === ev.artifactId)!;
            const clone: ArtifactRecord = { ...structuredClone(a), id: data.nextId.artifact++ };
            data.artifacts.push(clone);
            for (const c of [p, run, node]) data.attributions.push({ artifactId: clone.id, contextId: c.id });
            data.events.push({ ...ev, executionId: copy.id, artifactId: clone.id });
            outputs.set(e.nodeId, { ...outputs.get(e.nodeId), [ev.key]: clone.id });
          } else {
            const from = real.executions.find((x) => real.events.some((o) => o.executionId === x.id && o.artifactId === ev.artifactId && o.type === 'OUTPUT'));
            const artifactId = (from && outputs.get(from.nodeId)?.[real.events.find((o) => o.executionId === from.id && o.artifactId === ev.artifactId)!.key]) ?? ev.artifactId;
            data.events.push({ ...ev, executionId: copy.id, artifactId });
          }
        }
      }
    });
    if ((i + 1) % 1000 === 0 || i + 1 === count) process.stderr.write(`  history: ${i + 1}/${count} runs (${((performance.now() - t0) / (i + 1)).toFixed(1)} ms per run)\n`);
  }
}

/** Rows per statement when cloning: a chunk of runs at a time, with progress. */
const CLONE_CHUNK = 2000;

/**
 * `count` copies of the database's one real run, made by the server: every table's rows of that
 * run inserted again per copy (INSERT … SELECT … generate_series), with the copy's run number,
 * ids moved into its block (`+ i × ID_STRIDE`), its own run id and cache keys. References to
 * records of other runs (none in a first run) stay as they are.
 */
async function cloneHistorySql(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: runs } = await client.query<{ seq: string }>('SELECT seq FROM runs');
    if (runs.length !== 1) throw new Error(`expected the one real run to clone, found ${runs.length} runs`);
    const real = Number(runs[0].seq);
    const S = ID_STRIDE;
    const own = (col: string) => `CASE WHEN ${col} / ${S} = ${real} THEN ${col} + g.i * ${S} ELSE ${col} END`;
    const runId = `'hist-' || lpad(g.i::text, 6, '0')`;
    // What changes per column in a copy; every other column is copied as it is.
    const moved: Record<string, Record<string, string>> = {
      runs: { seq: `seq + g.i`, run_id: runId, version: '1', open: 'false' },
      artifacts: { id: `id + g.i * ${S}`, run_seq: 'run_seq + g.i', version: '1' },
      executions: { id: `id + g.i * ${S}`, run_seq: 'run_seq + g.i', run_id: runId, cache_key: `cache_key || '-' || g.i`, cached_from: own('cached_from'), version: '1' },
      contexts: {
        id: `id + g.i * ${S}`, run_seq: 'run_seq + g.i', version: '1',
        name: `CASE WHEN type_id = (SELECT id FROM types WHERE name = 'pipeline_run' AND type_kind = 2) THEN ${runId} ELSE name END`,
      },
      events: { run_seq: 'run_seq + g.i', execution_id: own('execution_id'), artifact_id: own('artifact_id'), version: '1' },
      associations: { run_seq: 'run_seq + g.i', execution_id: own('execution_id'), context_id: own('context_id'), version: '1' },
      attributions: { run_seq: 'run_seq + g.i', artifact_id: own('artifact_id'), context_id: own('context_id'), version: '1' },
      run_types: { run_seq: 'run_seq + g.i' },
    };
    const t0 = performance.now();
    for (let from = 1; from <= count; from += CLONE_CHUNK) {
      const to = Math.min(count, from + CLONE_CHUNK - 1);
      await client.query('BEGIN');
      for (const [table, exprs] of Object.entries(moved)) {
        const { rows: cols } = await client.query<{ column_name: string; column_default: string | null }>(
          'SELECT column_name, column_default FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
          [table],
        );
        // Serial ids (events, associations, attributions) are the server's to give.
        const columns = cols.filter((c) => !(c.column_name === 'id' && c.column_default?.startsWith('nextval'))).map((c) => c.column_name);
        const where = table === 'runs' ? `seq = ${real}` : `run_seq = ${real}`;
        // In creation order per copy, so serial ids keep the order a run recorded them in.
        const order = cols.some((c) => c.column_name === 'id') ? 'g.i, id' : 'g.i';
        await client.query(
          `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map((c) => exprs[c] ?? c).join(', ')} FROM ${table}, generate_series(${from}, ${to}) AS g(i) WHERE ${where} ORDER BY ${order}`,
        );
      }
      await client.query('COMMIT');
      process.stderr.write(`  history: ${to}/${count} runs cloned (${((performance.now() - t0) / to).toFixed(2)} ms per run)\n`);
    }
    await client.query(`SELECT setval('run_numbers', ${real + count})`);
    await client.query('ANALYZE');
    await checkClone(url, real, real + count);
  } finally {
    await client.end();
  }
}

/** A clone reads back through the store as the real run does: the same records, in its own block. */
async function checkClone(url: string, real: number, clone: number): Promise<void> {
  const store = await openStoreAt(url);
  try {
    const [a, b] = [await store.queries.view([real], false), await store.queries.view([clone], false)];
    const shape = (d: StoreData) => [d.artifacts, d.executions, d.contexts, d.events, d.associations, d.attributions].map((l) => l.length).join(',');
    const inBlock = [...b.artifacts, ...b.executions, ...b.contexts].every((r) => Math.floor(r.id / ID_STRIDE) === clone);
    const keys = new Set(a.executions.map((e) => e.cacheKey));
    if (shape(a) !== shape(b) || !inBlock || b.executions.some((e) => keys.has(e.cacheKey) || e.state !== 'COMPLETE')) {
      throw new Error(`clone ${clone} does not read back like run ${real}: ${shape(b)} records against ${shape(a)}`);
    }
  } finally {
    await store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const du = (dir: string) => (stores.has(dir) ? NaN : duOf(storeOf(dir)));
const duOf = (dir: string) => Number(spawnSync('du', ['-sk', dir], { encoding: 'utf8' }).stdout.split('\t')[0]) / 1024;

/** The store's size: on disk by `du`, or the Postgres database's. */
async function sizeOf(dir: string): Promise<string> {
  if (!stores.has(dir)) return `${du(dir).toFixed(1)} MB on disk`;
  const client = new pg.Client({ connectionString: stores.get(dir) });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pg_database_size(current_database()) AS bytes');
    return `${(Number(rows[0].bytes) / 2 ** 20).toFixed(1)} MB (pg_database_size)`;
  } finally {
    await client.end();
  }
}

type Ops = Record<string, Timed[]>;

/** One repeat of each operation on a root, into `out`. */
async function timeOps(dir: string, out: Ops): Promise<void> {
  const file = join(dir, 'bench.pipeline.yaml');
  const push = (op: string, t: Timed) => (out[op] ??= []).push(t);
  const fresh = await cli(['run', file, '--no-cache', '--json'], dir);
  push('run --no-cache', fresh);
  push('run (all cache hits)', await cli(['run', file, '--json'], dir));
  push('runs', await cli(['runs', file], dir));
  const summary = JSON.parse(fresh.stdout.trim().split('\n').pop()!) as { nodes: { id: string; outputs?: Record<string, { id: number }> }[] };
  const anomalies = summary.nodes.find((n) => n.id === 'example_validator')!.outputs!.anomalies.id;
  push('lineage', await cli(['lineage', String(anomalies), file], dir));
}

async function main(): Promise<void> {
  const base = values.keep ?? mkdtempSync(join(tmpdir(), 'trib-mdbench-'));
  const history = base;
  const empty = join(mkdtempSync(join(tmpdir(), 'trib-mdbench-empty-')));
  for (const d of [history, empty]) makeWorkspace(d);
  let server: TestPostgres | undefined;
  if (values.postgres) {
    const started = await startPostgres({ durable: true });
    if (typeof started === 'string') throw new Error(`--postgres: ${started}`);
    server = started;
    const admin = new URL(await server.database());
    admin.pathname = '/postgres';
    postgresUrl = admin.toString();
  }
  if (onPostgres) {
    // The history database is named after the kept folder, so --keep reuses it.
    const tag = values.keep ? values.keep.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(-40) : String(process.pid);
    await postgresStore(history, `trib_bench_h_${tag}`);
    await postgresStore(empty, `trib_bench_e_${process.pid}`);
  }
  const load0 = loadavg()[0];
  console.log(`metadata bench (${onPostgres ? 'postgres' : 'embedded'} store): ${N} runs of history, medians of ${REPEATS}, load ${load0.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`);

  const t0 = performance.now();
  const kept = await runsIn(history);
  if (kept >= N) {
    console.log(`reusing the ${kept} runs kept in ${history}`);
  } else {
    await cli(['run', join(history, 'bench.pipeline.yaml'), '--json'], history);
    if (onPostgres) await cloneHistorySql(storeOf(history), N - 1);
    else await cloneHistory(storeOf(history), N - 1);
    console.log(`history written in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${await sizeOf(history)}`);
  }

  // Alternating empty and history repeats: a shared machine's load changes hit both alike.
  const onEmpty: Ops = {};
  const onHistory: Ops = {};
  for (let r = 0; r < REPEATS; r++) {
    await timeOps(empty, onEmpty);
    await timeOps(history, onHistory);
  }
  const rows = Object.keys(onEmpty).map((op) => {
    const e = median(onEmpty[op].map((t) => t.ms));
    const h = median(onHistory[op].map((t) => t.ms));
    return { op, emptyMs: Math.round(e), historyMs: Math.round(h), ratio: +(h / e).toFixed(2), emptyRssMb: Math.round(Math.max(...onEmpty[op].map((t) => t.rssMb))), historyRssMb: Math.round(Math.max(...onHistory[op].map((t) => t.rssMb))) };
  });
  console.log('\n| operation | empty store | ' + `${N} runs | ratio | peak RSS empty | peak RSS ${N} runs |`);
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.op} | ${r.emptyMs} ms | ${r.historyMs} ms | ${r.ratio} | ${r.emptyRssMb} MB | ${r.historyRssMb} MB |`);
  console.log(`\nstore: ${await sizeOf(history)} (${N + 4 * REPEATS} runs)`);

  let both = 0;
  const file = join(history, 'bench.pipeline.yaml');
  for (let i = 0; i < CONCURRENT; i++) {
    const pair = await Promise.allSettled([cli(['run', file, '--no-cache', '--json'], history), cli(['run', file, '--no-cache', '--json'], history)]);
    const ids = pair.map((p) => (p.status === 'fulfilled' ? (JSON.parse(p.value.stdout.trim().split('\n').pop()!) as { runId: string; state: string }) : undefined));
    const store: MetadataBackend = await openStoreAt(storeOf(history));
    const recorded = await Promise.all(ids.map(async (s) => {
      const seq = s ? await store.queries.seqOf(s.runId) : undefined;
      const view = seq === undefined ? undefined : await store.queries.view([seq]);
      return s?.state === 'COMPLETE' && view?.contexts.find((c) => c.type === 'pipeline_run')?.properties.state === 'COMPLETE' && view.executions.length === 4;
    }));
    await store.close();
    if (recorded.every(Boolean)) both++;
    else console.log(`  concurrent pair ${i + 1}: ${pair.map((p) => (p.status === 'rejected' ? String(p.reason).slice(0, 300) : 'ok')).join(' / ')}`);
  }
  if (CONCURRENT) console.log(`two concurrent runs on the ${N}-run store: both complete and recorded ${both} times of ${CONCURRENT}`);
  console.log(`load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);

  rmSync(empty, { recursive: true, force: true });
  rmSync(PRELOAD, { force: true });
  if (onPostgres && !server) {
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    for (const dir of values.keep ? [empty] : [empty, history]) await admin.query(`DROP DATABASE IF EXISTS ${new URL(stores.get(dir)!).pathname.slice(1)}`);
    await admin.end();
  }
  await server?.stop(); // the bench's own server goes with its databases
  if (values.keep) console.log(`kept: ${history}/bench.pipeline.yaml with its root ${history}/.tributary`);
  else rmSync(history, { recursive: true, force: true });
}

await main();
