/**
 * Serving benchmark: the taxi model trained by the sample pipeline (run through the CLI on a copy
 * of samples/taxi, up to the Trainer; cached across bench runs), served by `tributary serve` as its
 * own process and measured from this process over loopback with real eval rows:
 * - time to ready (spawn → listening with the model loaded), median of 3, for 1 and N workers;
 * - single-row predicts with 1 and 32 keep-alive clients, p50/p99 and requests/s, in these setups:
 *   one process unbatched (the baseline), one process batching, N workers (default one per core)
 *   unbatched and batching, and the default (`--workers auto`, serve-workers.ts, batching) with
 *   and without the server's warm-up;
 * - starvation: 31 clients of single rows for 5 s while one client sends 10,000-instance requests.
 * Every setup is measured in `--rounds` rounds (a fresh server each round, the setups taking turns,
 * so a change in the machine's load reaches them all alike); each number printed is the median over
 * the rounds, the target lines also show every round's. Ratios are against the baseline measured
 * in the same run. The load generator (http-load-client.ts: pre-built requests on raw keep-alive
 * sockets) shares the machine's cores with the server: on 2 cores that caps what N workers can show.
 *
 * Each load also reports the CPU time a request costs (server processes from /proc, and this load
 * generator): on a busy machine wall-clock numbers mostly measure the others' work, CPU per
 * request does not, and cores ÷ CPU per request is the rate the machine could reach idle.
 *
 *   npm run bench:serving -- [--rounds 3] [--requests 1000] [--per-client 100] [--starve-seconds 5] [--workers N] [--warm-requests 20]
 *   npx tsx bench/serving-bench.ts ...
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSplitRows } from '../runtime/src/components/evaluator/read-rows.ts';
import { startServerProcess, type ServerProcess } from '../runtime/src/components/infra-validator/server-process.ts';
import { readBundleFeatures } from '../runtime/src/serving/registry-index.ts';
import { autoServeWorkers } from '../runtime/src/serving/serve-workers.ts';
import { LoadConnection, postBytes } from './http-load-client.ts';

const { values: opt } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    'per-client': { type: 'string', default: '100' },
    'starve-seconds': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: String(availableParallelism()) },
    // Requests sent before a load is measured, spread over its clients (at least 20 each). The
    // default measures a freshly started server, whose first thousands of requests still run
    // uncompiled code and pay V8's compiles; 3000 measures it warm.
    'warm-requests': { type: 'string', default: '20' },
    // The server's own warm-up predicts per loaded version (server.ts; its default when absent).
    'server-warmup': { type: 'string' },
  },
});
const WARM_REQUESTS = Number(opt['warm-requests']);
const REQUESTS_1 = Number(opt.requests);
const PER_CLIENT = Number(opt['per-client']);
const WORKERS = Number(opt.workers);
/** What `tributary serve` starts by default (`--workers auto`). */
const AUTO_WORKERS = autoServeWorkers();
const STARVE_SECONDS = Number(opt['starve-seconds']);
const ROUNDS = Number(opt.rounds);

const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

/** Trains the taxi model with the sample pipeline (a cache hit after the first bench run). */
function trainTaxi(): { bundle: string; examples: string } {
  const dir = join(ROOT, 'node_modules', '.cache', 'serving-bench', 'taxi');
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    cpSync(join(ROOT, 'samples', 'taxi'), dir, { recursive: true, filter: (p) => !p.includes('.tributary') });
  }
  const cli = existsSync(join(ROOT, 'dist', 'runtime', 'cli.js')) && !import.meta.url.endsWith('.ts') ? [join(ROOT, 'dist', 'runtime', 'cli.js')] : ['--import', 'tsx', join(ROOT, 'runtime', 'src', 'cli', 'main.ts')];
  const nodes = ['example_gen', 'statistics_gen', 'schema_gen', 'transform', 'trainer'];
  const out = execFileSync(process.execPath, [...cli, 'run', join(dir, 'taxi.pipeline.yaml'), '--json', '--only', ...nodes], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  const summary = JSON.parse(out.trim().split('\n').pop()!) as { nodes: { id: string; outputs?: Record<string, { uri: string }> }[] };
  const uri = (id: string, name: string) => summary.nodes.find((n) => n.id === id)!.outputs![name].uri;
  return { bundle: join(uri('trainer', 'model'), 'bundle'), examples: uri('example_gen', 'examples') };
}

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU ms (user + system) used so far by a process and every live descendant (the cluster's
 * workers), from /proc; undefined off Linux. Unlike wall time, what a request costs in CPU does
 * not grow with the machine's load.
 */
function treeCpuMs(root: number): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => pid === root || (pid > 1 && stats.has(pid) && inTree(stats.get(pid)!.ppid));
  let ticks = 0;
  for (const [pid, s] of stats) if (inTree(pid)) ticks += s.ticks;
  return (ticks * 1000) / CLK_TCK;
}

/** Dynamic batching's predicts and their rows so far, from /metrics (summed over workers and versions). */
async function batchTotals(port: number): Promise<{ batches: number; rows: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  return { batches: sum('tributary_batches_total'), rows: sum('tributary_batched_rows_total') };
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (l: Load) => l.p99;
const rps = (l: Load) => l.rps;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** One load's numbers over the rounds: medians of the rates and latencies, sums of the counts. */
function medianLoad(loads: Load[]): Load {
  const m = (f: (l: Load) => number | undefined) => {
    const xs = loads.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  return {
    clients: loads[0].clients,
    requests: sum(loads.map((l) => l.requests)),
    errors: sum(loads.map((l) => l.errors)),
    p50: m((l) => l.p50)!,
    p99: m((l) => l.p99)!,
    rps: m((l) => l.rps)!,
    cpuPerRequest: { server: m((l) => l.cpuPerRequest.server)!, client: m((l) => l.cpuPerRequest.client)! },
    ...(m((l) => l.meanBatch) !== undefined ? { meanBatch: m((l) => l.meanBatch) } : {}),
    clientGc: { pauses: sum(loads.map((l) => l.clientGc.pauses)), totalMs: sum(loads.map((l) => l.clientGc.totalMs)), maxMs: Math.max(...loads.map((l) => l.clientGc.maxMs)) },
  };
}

interface Load {
  clients: number;
  requests: number;
  /** Requests that failed: an error status or a dropped connection. */
  errors: number;
  p50: number;
  p99: number;
  rps: number;
  /** CPU ms per answered request: the server's processes, and this load generator's. */
  cpuPerRequest: { server: number; client: number };
  /** Rows per predict that dynamic batching ran (undefined unbatched). */
  meanBatch?: number;
  /**
   * This load generator's own garbage collections during the load: every pause delays the
   * requests in flight, so a tail latency at least this long is the client's, not the server's.
   */
  clientGc: { pauses: number; totalMs: number; maxMs: number };
}

/** `clients` keep-alive clients sending single-row predicts back to back, each `perClient` times or for `seconds` after their warm-up. */
async function load(server: number, port: number, bodies: Buffer[], clients: number, perClient: number, seconds = Infinity): Promise<Load> {
  const connections = Array.from({ length: clients }, () => new LoadConnection(port));
  // Warm-up on every connection (and every worker behind them).
  await Promise.all(
    connections.map(async (connection, c) => {
      const warm = Math.max(20, Math.ceil(WARM_REQUESTS / clients));
      for (let i = 0; i < warm; i++) await connection.post(bodies[(c * warm + i) % bodies.length]);
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const batches0 = await batchTotals(port);
  const gc = { pauses: 0, totalMs: 0, maxMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.pauses++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const serverCpu0 = treeCpuMs(server);
  const clientCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const until = () => performance.now() - t0 > seconds * 1000;
  await Promise.all(
    connections.map(async (connection, c) => {
      for (let i = 0; i < perClient && !until(); i++) {
        const r = await connection.post(bodies[(c * perClient + i) % bodies.length]);
        if (r instanceof Error) errors++;
        else latencies.push(r);
      }
    }),
  );
  const wall = performance.now() - t0;
  const serverCpu = (treeCpuMs(server) ?? NaN) - (serverCpu0 ?? NaN);
  const clientCpu = process.cpuUsage(clientCpu0);
  gcObserver.disconnect();
  const batches1 = await batchTotals(port);
  for (const connection of connections) connection.close();
  latencies.sort((a, b) => a - b);
  const per = (ms: number) => Number((ms / Math.max(1, latencies.length)).toFixed(3));
  return {
    clients,
    requests: latencies.length,
    errors,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    rps: latencies.length / (wall / 1000),
    cpuPerRequest: { server: per(serverCpu), client: per((clientCpu.user + clientCpu.system) / 1000) },
    ...(batches1.batches > batches0.batches ? { meanBatch: Number(((batches1.rows - batches0.rows) / (batches1.batches - batches0.batches)).toFixed(1)) } : {}),
    clientGc: { pauses: gc.pauses, totalMs: Number(gc.totalMs.toFixed(1)), maxMs: Number(gc.maxMs.toFixed(1)) },
  };
}

/** 31 clients of single rows for `seconds` while one more sends 10,000-instance requests back to back. */
async function starvation(server: number, port: number, bodies: Buffer[], big: Buffer, seconds: number): Promise<Load & { bigRequests: number; bigMs: number }> {
  const bigConnection = new LoadConnection(port);
  let stop = false;
  const bigTimes: number[] = [];
  await bigConnection.post(big); // warm
  const bigLoop = (async () => {
    while (!stop) {
      const r = await bigConnection.post(big);
      if (typeof r === 'number') bigTimes.push(r);
    }
  })();
  const small = await load(server, port, bodies, 31, Number.MAX_SAFE_INTEGER, seconds);
  stop = true;
  await bigLoop;
  bigConnection.close();
  return { ...small, bigRequests: bigTimes.length, bigMs: bigTimes.length ? median(bigTimes) : NaN };
}

interface Setup {
  name: string;
  workers: number;
  maxBatchSize: number;
  /** The server's warm-up predicts per version (server.ts); its default when absent. */
  warmup?: number;
}

async function main() {
  const loadBefore = loadavg()[0];
  const { bundle, examples } = trainTaxi();
  const root = mkdtempSync(join(tmpdir(), 'serving-bench-'));
  const registry = join(root, 'registry');
  mkdirSync(join(registry, 'taxi'), { recursive: true });
  symlinkSync(bundle, join(registry, 'taxi', '1'), 'dir');
  const features = readBundleFeatures(bundle);
  const rows = readSplitRows(examples, 'eval', 10_000).map((r) => Object.fromEntries(features.filter((f) => f in r).map((f) => [f, r[f]])));
  const path = '/v1/models/taxi:predict';
  const bodies = rows.slice(0, 2000).map((r) => postBytes(path, JSON.stringify({ instances: [r] })));
  const bigRows = Array.from({ length: 10_000 }, (_, i) => rows[i % rows.length]);
  const big = postBytes(path, JSON.stringify({ instances: bigRows }));

  // `tributary serve`'s default is `--workers auto` (serve-workers.ts); the setups with one process
  // and with --workers N (default: one per core) are measured beside it, whichever it equals.
  const processes = (w: number) => (w === 1 ? '1 process' : `${w} workers`);
  const isDefault = (w: number) => (w === AUTO_WORKERS ? ' (default)' : '');
  const setups: Setup[] = [
    { name: '1 process, unbatched (baseline)', workers: 1, maxBatchSize: 0 },
    { name: `1 process, batching${isDefault(1)}`, workers: 1, maxBatchSize: 32 },
    ...(WORKERS > 1 ? [{ name: `${WORKERS} workers, unbatched`, workers: WORKERS, maxBatchSize: 0 }] : []),
    ...(WORKERS > 1 ? [{ name: `${WORKERS} workers, batching${isDefault(WORKERS)}`, workers: WORKERS, maxBatchSize: 32 }] : []),
    ...(AUTO_WORKERS !== 1 && AUTO_WORKERS !== WORKERS ? [{ name: `${AUTO_WORKERS} workers, batching (default)`, workers: AUTO_WORKERS, maxBatchSize: 32 }] : []),
    // The default setup without the server's warm-up: what a fresh server's first requests cost.
    { name: `${processes(AUTO_WORKERS)}, batching, no warm-up`, workers: AUTO_WORKERS, maxBatchSize: 32, warmup: 0 },
  ];
  const serverWarmup = opt['server-warmup'] === undefined ? undefined : Number(opt['server-warmup']);
  const start = (s: Setup) => startServerProcess(registry, { timeoutMs: 120_000, workers: s.workers, maxBatchSize: s.maxBatchSize, batchTimeoutMs: 1, warmupRequests: s.warmup ?? serverWarmup });
  const ready: Record<number, number[]> = {};
  for (const w of [...new Set([1, AUTO_WORKERS, WORKERS])]) {
    ready[w] = [];
    for (let i = 0; i < 3; i++) {
      const server = await start({ name: '', workers: w, maxBatchSize: 32 });
      ready[w].push(server.readyMs);
      await server.stop();
    }
  }
  type Starved = Awaited<ReturnType<typeof starvation>>;
  const runs = setups.map((setup) => ({ setup, one: [] as Load[], many: [] as Load[], starved: [] as Starved[] }));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const run of runs) {
      const { setup } = run;
      let server: ServerProcess | undefined;
      try {
        server = await start(setup);
        const pid = server.child.pid!;
        console.error(`round ${round}/${ROUNDS}, ${setup.name}: 1 client`);
        run.one.push(await load(pid, server.port, bodies, 1, REQUESTS_1));
        console.error(`round ${round}/${ROUNDS}, ${setup.name}: 32 clients`);
        run.many.push(await load(pid, server.port, bodies, 32, PER_CLIENT));
        console.error(`round ${round}/${ROUNDS}, ${setup.name}: 31 clients beside 10,000-row requests`);
        run.starved.push(await starvation(pid, server.port, bodies, big, STARVE_SECONDS));
      } catch (e) {
        throw new Error(`${setup.name}: ${(e as Error).message}; server stderr: ${server?.stderr()}`);
      } finally {
        await server?.stop();
      }
    }
  }
  const results = runs.map((r) => ({ setup: r.setup, one: medianLoad(r.one), many: medianLoad(r.many), starved: { ...medianLoad(r.starved), bigRequests: sum(r.starved.map((s) => s.bigRequests)), bigMs: median(r.starved.map((s) => s.bigMs)) }, rounds: r }));
  rmSync(root, { recursive: true, force: true });

  console.log(JSON.stringify({ ready, results }));
  const f = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2));
  const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const cores = availableParallelism();
  /** Requests/s the CPU cost allows with every core busy (server and load generator share them). */
  const cpuBound = (l: Load) => cores / ((l.cpuPerRequest.server + l.cpuPerRequest.client) / 1000);
  const cpu = (l: Load) =>
    `CPU/request: server ${f(l.cpuPerRequest.server)} ms + client ${f(l.cpuPerRequest.client)} ms → ${cpuBound(l).toFixed(0)} req/s with ${cores} cores busy${l.meanBatch ? `; ${l.meanBatch} rows a predict` : ''}; client GC ${l.clientGc.pauses} pauses, longest ${f(l.clientGc.maxMs)} ms`;
  const ratio = (x: number, base: number) => (base > 0 && Number.isFinite(base) ? `${(x / base).toFixed(2)}×` : 'baseline answered none');
  for (const [w, r] of Object.entries(ready)) console.log(`time to ready, ${w} worker(s), median of 3 (with the server's warm-up): ${median(r).toFixed(0)} ms (all: ${r.map((x) => x.toFixed(0)).join(', ')})`);
  const base = results[0];
  for (const { setup, one, many, starved } of results) {
    console.log(`\n${setup.name}`);
    const errors = [one, many, starved].reduce((n, l) => n + l.errors, 0);
    if (errors > 0) console.log(`  ${errors} requests failed (error status or a connection the server dropped)`);
    console.log(`   1 client : p50 ${f(one.p50)} ms, p99 ${f(one.p99)} ms, ${one.rps.toFixed(0)} req/s; ${cpu(one)}`);
    console.log(`  32 clients: p50 ${f(many.p50)} ms, p99 ${f(many.p99)} ms, ${many.rps.toFixed(0)} req/s = ${ratio(many.rps, base.many.rps)} baseline; ${cpu(many)}`);
    console.log(
      `  31 clients beside 10,000-row requests: p99 ${f(starved.p99)} ms, ${starved.rps.toFixed(0)} req/s = ${ratio(starved.rps, base.starved.rps)} baseline; ${starved.bigRequests} big requests answered, median ${f(starved.bigMs)} ms`,
    );
  }
  // The issue's targets, for the default setup (N workers with batching), against its peers of this run.
  const byName = (workers: number, batched: boolean) => results.find((r) => r.setup.workers === workers && r.setup.maxBatchSize > 0 === batched && r.setup.warmup === undefined)!;
  const cold = results.find((r) => r.setup.warmup === 0)!;
  const main = byName(AUTO_WORKERS, true);
  const oneWorker = byName(1, true);
  const many = byName(WORKERS, true);
  const each = (loads: Load[], pick: (l: Load) => number) => `rounds: ${loads.map((l) => (pick === rps ? l.rps.toFixed(0) : f(pick(l)))).join(', ')}`;
  console.log(`\ntargets (${main.setup.name}; medians of ${ROUNDS} rounds):`);
  console.log(`  1 client p99 < 5 ms: ${f(main.one.p99)} ms  ${mark(main.one.p99 < 5)}   (${each(main.rounds.one, p99)}; 1 process unbatched: ${f(base.one.p99)} ms; without the server's warm-up: ${f(cold.one.p99)} ms)`);
  console.log(`  32 clients ≥ 3,000 req/s: ${main.many.rps.toFixed(0)}  ${mark(main.many.rps >= 3000)}   goal 5,000: ${mark(main.many.rps >= 5000)}   (${each(main.rounds.many, rps)}; ${ratio(main.many.rps, base.many.rps)} 1 process unbatched)`);
  console.log(`  32 clients p99 ≤ 25 ms: ${f(main.many.p99)} ms  ${mark(main.many.p99 <= 25)}   (${each(main.rounds.many, p99)}; 1 process unbatched: ${f(base.many.p99)} ms)`);
  console.log(`  beside 10,000-row requests, the others' p99 ≤ 50 ms: ${f(main.starved.p99)} ms  ${mark(main.starved.p99 <= 50)}   (${each(main.rounds.starved, p99)}; 1 process unbatched: ${base.starved.requests ? `${f(base.starved.p99)} ms` : 'answered none'})`);
  console.log(`  ${WORKERS} workers vs 1 (both batching), 32 clients: ${ratio(many.many.rps, oneWorker.many.rps)} req/s, p99 ${f(many.many.p99)} vs ${f(oneWorker.many.p99)} ms; server CPU a request ${f(many.many.cpuPerRequest.server)} vs ${f(oneWorker.many.cpuPerRequest.server)} ms`);
  console.log(`  CPU bound at 32 clients (server + load generator on ${cores} cores): ${cpuBound(main.many).toFixed(0)} req/s  ${mark(cpuBound(main.many) >= 3000)}`);
  console.log(`\nload average (1 min) before ${loadBefore.toFixed(2)}, after ${loadavg()[0].toFixed(2)} on ${cores} cores; the load generator runs on the same cores`);
}

await main();
