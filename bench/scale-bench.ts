// Benchmark: the whole taxi pipeline at growing sizes. For each size it generates a taxi CSV,
// runs samples/taxi's pipeline on it (Trainer with epochs 1) with the bundled CLI as its own
// process, and prints per node the wall time and the process's peak RSS while that node ran
// (sampled from /proc; worker threads are in the process, InfraValidator's server is not), the
// process's CPU seconds while it ran (nodes running at once share them), the Evaluator's rows/s
// wall and rows per CPU-second, and the InfraValidator's verdict with the load it measured under.
// Each node's line prints as the node ends, so a run cut short still shows its finished nodes.
// --evaluator-repeat N runs the Evaluator alone N more times per size (on the run's model and
// examples) and prints the medians: rows/CPU-second is the figure that holds on a loaded machine.
//
//   npm run bench:scale -- --rows 1000000,4000000 [--epochs 1] [--batch 1024] [--workers N] [--evaluator-repeat 3]
//
// Targets: peak RSS at the largest size within 1.15× of the smallest and under 1 GB
// (goal 600 MB); Evaluator ≥ 50k rows/s on 2 workers; InfraValidator blesses at every size.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { writeTaxiCsv } from '../samples/taxi/generate.ts';

const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();
const DATA = join(ROOT, 'bench', '.data');
const CLI = join(ROOT, 'dist', 'runtime', 'cli.js');

const { values: opt } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000,4000000' },
    epochs: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1024' },
    workers: { type: 'string' },
    seed: { type: 'string', default: '7' },
    // After each size's run: the Evaluator alone (--only evaluator --no-cache) this many more times, for medians.
    'evaluator-repeat': { type: 'string', default: '0' },
  },
});
const evaluatorRepeat = Number(opt['evaluator-repeat']);
const sizes = opt.rows.split(',').map((s) => Number(s.trim()));
if (sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error(`--rows takes sizes ≥ 1000 separated by commas, got "${opt.rows}"`);
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

interface NodeRow {
  id: string;
  state: string;
  wallS?: number;
  peakRssMb: number;
  /** CPU seconds of the whole process (all threads) while the node ran; nodes running at once share it. */
  cpuS?: number;
  cpuAtStart?: number;
  /** Units done (rows for the Evaluator and BulkInferrer) and the rate the node reported. */
  done?: number;
  perSecond?: number;
}

interface SizeResult {
  rows: number;
  state: string;
  wallS: number;
  peakRssMb: number;
  nodes: NodeRow[];
  infra?: { blessed: boolean; attempts: number; exclusive: unknown; cpuBusy?: number; p99?: number; startupMs?: number; failed: string[] };
  load: [number, number];
  evaluatorRuns?: NodeRow[];
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN;
};

/** The Evaluator alone, evaluatorRepeat more times on the run's model and examples: medians of its rates. */
async function repeatEvaluator(file: string): Promise<NodeRow[]> {
  const runs: NodeRow[] = [];
  for (let k = 0; k < evaluatorRepeat; k++) {
    const load = loadavg()[0];
    const { nodes } = await runPipeline(file, ['--only', 'evaluator'], false);
    const n = nodes.find((x) => x.id === 'evaluator');
    if (!n) continue;
    runs.push(n);
    console.log(`  evaluator alone #${k + 1} (load ${load.toFixed(1)}): ${fmt(n.wallS)} s wall, ${fmt(n.cpuS)} CPU-s, ${n.done && n.wallS ? Math.round(n.done / n.wallS).toLocaleString('en-US') : '-'} rows/s wall, ${n.done && n.cpuS ? Math.round(n.done / n.cpuS).toLocaleString('en-US') : '-'} rows/CPU-s`);
  }
  const done = runs.filter((n) => n.done && n.wallS && n.cpuS);
  if (done.length) {
    console.log(
      `  evaluator alone, median of ${done.length}: ${Math.round(median(done.map((n) => n.done! / n.wallS!))).toLocaleString('en-US')} rows/s wall, ${Math.round(median(done.map((n) => n.done! / n.cpuS!))).toLocaleString('en-US')} rows per CPU-second (all threads)`,
    );
  }
  return runs;
}

async function ensureCsv(rows: number, seed: number): Promise<string> {
  const path = join(DATA, `scale-taxi-${rows}-s${seed}.csv`);
  if (existsSync(path)) return path;
  const t = performance.now();
  await writeTaxiCsv(path, rows, seed);
  console.log(`generated ${path} (${(statSync(path).size / 2 ** 20).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  return path;
}

/** A fresh copy of samples/taxi with the big CSV, epochs and batch size of this bench. */
function preparePipeline(csv: string, rows: number): string {
  const dir = join(DATA, `scale-${rows}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['taxi_transform.ts', 'taxi_trainer.ts']) cpSync(join(ROOT, 'samples', 'taxi', f), join(dir, f));
  const doc = parse(readFileSync(join(ROOT, 'samples', 'taxi', 'taxi.pipeline.yaml'), 'utf8'));
  doc.nodes.example_gen.params.input = csv;
  doc.nodes.trainer.params.epochs = Number(opt.epochs);
  doc.nodes.trainer.params.batch_size = Number(opt.batch);
  doc.nodes.pusher.params.registry = join(dir, 'registry');
  const file = join(dir, 'taxi.pipeline.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system, all threads) of a process so far, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

function printNode(n: NodeRow): void {
  const rate = n.done && n.wallS ? `${Math.round(n.done / n.wallS).toLocaleString('en-US')} rows/s wall, ${n.cpuS ? Math.round(n.done / n.cpuS).toLocaleString('en-US') : '-'} rows/CPU-s` : '';
  console.log(`  ${n.id.padEnd(18)} ${n.state.toLowerCase().padEnd(9)} ${fmt(n.wallS).padStart(8)} ${fmt(n.cpuS).padStart(7)} ${String(n.peakRssMb).padStart(12)}  ${rate}`);
}

const NODE_HEADER = `  ${'node'.padEnd(18)} ${'state'.padEnd(9)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(7)} ${'peak RSS MB'.padStart(12)}  rate`;

function runPipeline(file: string, extra: string[] = [], live = true): Promise<{ state: string; wallS: number; peakRssMb: number; nodes: NodeRow[] }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const args = [CLI, 'run', file, '--no-cache', '--events', ...extra, ...(opt.workers ? ['--workers', opt.workers] : [])];
    if (live) console.log(NODE_HEADER);
    const child = spawn(process.execPath, args, { cwd: dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
    const nodes = new Map<string, NodeRow>();
    const running = new Set<string>();
    let state = 'UNKNOWN';
    let peakKb = 0;
    const timer = setInterval(() => {
      const kb = rssKb(child.pid ?? 0, 'VmRSS');
      peakKb = Math.max(peakKb, rssKb(child.pid ?? 0, 'VmHWM'), kb);
      for (const id of running) {
        const n = nodes.get(id)!;
        n.peakRssMb = Math.max(n.peakRssMb, Math.round(kb / 1024));
      }
    }, 100);
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line);
        if (e.type === 'node-state') {
          const n: NodeRow = nodes.get(e.nodeId) ?? { id: e.nodeId, state: e.state, peakRssMb: 0 };
          nodes.set(e.nodeId, n);
          n.state = e.state;
          const cpu = cpuSeconds(child.pid ?? 0);
          if (e.state === 'RUNNING') {
            running.add(e.nodeId);
            n.cpuAtStart = cpu;
          } else {
            running.delete(e.nodeId);
            if (n.cpuAtStart !== undefined) n.cpuS = cpu - n.cpuAtStart;
          }
          if (e.durationMs !== undefined) n.wallS = e.durationMs / 1000;
          // Each node's line as it ends: a run cut short still leaves its finished nodes' numbers.
          if (live && e.state !== 'RUNNING' && e.state !== 'QUEUED') printNode(n);
        } else if (e.type === 'progress' && e.perSecond !== undefined) {
          const n = nodes.get(e.nodeId);
          if (n) {
            n.perSecond = e.perSecond;
            if (e.unit === 'rows') n.done = e.done;
          }
        } else if (e.type === 'log' && e.level !== 'info') {
          console.log(`    ${e.nodeId} ${e.level}: ${e.message}`);
        } else if (e.type === 'run-end') {
          state = e.state;
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      if (state === 'UNKNOWN') return reject(new Error(`tributary run exited ${code}: ${stderr.slice(-2000)}`));
      resolve({ state, wallS: (performance.now() - t0) / 1000, peakRssMb: Math.round(peakKb / 1024), nodes: [...nodes.values()] });
    });
  });
}

/** The newest infra_blessing.json of the run. */
function readInfra(file: string): SizeResult['infra'] {
  const base = join(dirname(file), '.tributary', 'infra_validator', 'blessing');
  if (!existsSync(base)) return undefined;
  const dirs = readdirSync(base).map((d) => join(base, d)).filter((d) => existsSync(join(d, 'infra_blessing.json')));
  const latest = dirs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!latest) return undefined;
  const b = JSON.parse(readFileSync(join(latest, 'infra_blessing.json'), 'utf8'));
  return {
    blessed: b.blessed,
    attempts: b.measured?.attempts?.length ?? 1,
    exclusive: b.measured?.exclusive,
    cpuBusy: b.measured?.load?.cpu_busy,
    p99: b.latency_ms?.p99,
    startupMs: b.startup_ms,
    failed: (b.reasons ?? []).filter((r: { passed: boolean }) => !r.passed).map((r: { message: string }) => r.message),
  };
}

const results: SizeResult[] = [];
console.log(`scale bench: taxi pipeline, epochs ${opt.epochs}, batch ${opt.batch}, ${opt.workers ?? cpus().length} worker(s), ${cpus().length} cores; sizes ${sizes.join(', ')}`);
mkdirSync(DATA, { recursive: true });
for (const rows of sizes) {
  const csv = await ensureCsv(rows, Number(opt.seed));
  const file = preparePipeline(csv, rows);
  const before = loadavg()[0];
  console.log(`\n${rows.toLocaleString('en-US')} rows (1-min load average before: ${before.toFixed(1)})`);
  const run = await runPipeline(file);
  const r: SizeResult = { rows, ...run, infra: readInfra(file), load: [before, loadavg()[0]] };
  results.push(r);
  console.log(`  run ${r.state.toLowerCase()} in ${r.wallS.toFixed(0)} s, peak RSS ${r.peakRssMb} MB; load average after ${r.load[1].toFixed(1)}`);
  if (r.infra) {
    const i = r.infra;
    console.log(
      `  InfraValidator: ${i.blessed ? 'BLESSED' : `NOT blessed (${i.failed.join('; ')})`} — startup ${i.startupMs} ms, p99 ${i.p99} ms, ${i.attempts} attempt(s), ran alone: ${i.exclusive}, machine ${Math.round((i.cpuBusy ?? 0) * 100)}% busy`,
    );
  }
  if (evaluatorRepeat > 0) r.evaluatorRuns = await repeatEvaluator(file);
  // The run's artifacts and the pushed model go: GBs at large sizes, and compiled modules lint would read.
  rmSync(dirname(file), { recursive: true, force: true });
}

console.log('\nsummary');
const first = results[0];
const last = results.at(-1)!;
const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const ratio = last.peakRssMb / first.peakRssMb;
console.log(`  peak RSS ${results.map((r) => `${r.rows.toLocaleString('en-US')}: ${r.peakRssMb} MB`).join(', ')}`);
if (results.length > 1) console.log(`  ${pass(ratio <= 1.15)} peak RSS at ${last.rows.toLocaleString('en-US')} / at ${first.rows.toLocaleString('en-US')} = ${ratio.toFixed(2)} (target ≤ 1.15)`);
console.log(`  ${pass(last.peakRssMb < 1024)} peak RSS ${last.peakRssMb} MB < 1 GB (goal < 600 MB: ${pass(last.peakRssMb < 600)})`);
// The Evaluator's rate over its whole node time (worker start and model load included), in the pipeline run.
const evalRates = results.map((r) => {
  const n = r.nodes.find((x) => x.id === 'evaluator');
  return n?.done && n.wallS ? Math.round(n.done / n.wallS) : 0;
});
console.log(`  ${pass(Math.min(...evalRates) >= 50_000)} Evaluator ${evalRates.map((x) => x.toLocaleString('en-US')).join(', ')} rows/s wall in the pipeline runs (target ≥ 50,000 on 2 workers)`);
for (const r of results) {
  const runs = (r.evaluatorRuns ?? []).filter((n) => n.done && n.wallS && n.cpuS);
  if (runs.length) console.log(`  Evaluator alone at ${r.rows.toLocaleString('en-US')}: median ${Math.round(median(runs.map((n) => n.done! / n.wallS!))).toLocaleString('en-US')} rows/s wall, ${Math.round(median(runs.map((n) => n.done! / n.cpuS!))).toLocaleString('en-US')} rows/CPU-s over ${runs.length} runs`);
}
if (results.length > 1) {
  console.log('  per-node peak RSS, largest size / smallest:');
  for (const n of last.nodes) {
    const a = first.nodes.find((x) => x.id === n.id);
    if (a?.peakRssMb && n.peakRssMb) console.log(`    ${n.id.padEnd(18)} ${a.peakRssMb} → ${n.peakRssMb} MB (${(n.peakRssMb / a.peakRssMb).toFixed(2)}×), wall ${fmt(a.wallS)} → ${fmt(n.wallS)} s`);
  }
}
console.log(`  ${pass(results.every((r) => r.infra?.blessed))} InfraValidator blessed at ${results.filter((r) => r.infra?.blessed).length} of ${results.length} sizes`);
console.log('  (machines here are shared: compare numbers from the same run; the load averages are printed above)');
