/**
 * The taxi pipeline end to end on CPU, the way `npm start` runs it: the bundled CLI as its own
 * process on a fresh copy of samples/taxi (no cache), then the same pipeline again (every node a
 * cache hit). Goals: fresh run < 60 s, cached rerun < 2 s. Also prints each node's time
 * and the model's accuracy against the majority-class baseline.
 *
 *   npm run build && node dist/bench/e2e-bench.js [--cached-repeats 3] [--workers N]
 *   npx tsx bench/e2e-bench.ts            (runs the CLI from source under tsx: slower start-up)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({ options: { 'cached-repeats': { type: 'string', default: '3' }, workers: { type: 'string' } } });

/** The repository root: the nearest folder above this file with samples/taxi. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'samples', 'taxi'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('Cannot find samples/taxi above the benchmark');
    dir = up;
  }
  return dir;
}

const root = repoRoot();
const fromSource = import.meta.url.endsWith('.ts');
const cli = fromSource ? ['--import', 'tsx', join(root, 'runtime', 'src', 'cli', 'main.ts')] : [join(root, 'dist', 'runtime', 'cli.js')];
if (!fromSource && !existsSync(cli[0])) throw new Error(`${cli[0]} is missing: run npm run build first`);

interface Summary {
  state: string;
  wallMs: number;
  nodes: { id: string; state: string; durationMs?: number; outputs?: Record<string, { properties: Record<string, any> }> }[];
}

function run(pipeline: string): { wallS: number; summary: Summary } {
  const args = [...cli, 'run', pipeline, '--json', ...(opt.workers ? ['--workers', opt.workers] : [])];
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallS = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`tributary run failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { wallS, summary: JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Summary };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'e2e-bench-'));
try {
  for (const f of ['taxi.pipeline.yaml', 'taxi_transform.ts', 'taxi_trainer.ts', 'data']) cpSync(join(root, 'samples', 'taxi', f), join(dir, f), { recursive: true });
  const pipeline = join(dir, 'taxi.pipeline.yaml');
  console.log(`taxi pipeline end to end (${fromSource ? 'CLI from source, tsx' : 'bundled CLI'}), ${dir}`);

  const fresh = run(pipeline);
  if (fresh.summary.state !== 'COMPLETE') throw new Error(`run ended ${fresh.summary.state}`);
  const cached: number[] = [];
  for (let i = 0; i < Number(opt['cached-repeats']); i++) {
    const again = run(pipeline);
    const missed = again.summary.nodes.filter((n) => n.state !== 'CACHED').map((n) => n.id);
    if (missed.length) throw new Error(`cached rerun executed ${missed.join(', ')}`);
    cached.push(again.wallS);
  }

  console.log('\nper node (fresh run):');
  for (const n of fresh.summary.nodes) console.log(`  ${n.id.padEnd(20)} ${n.state.padEnd(9)} ${((n.durationMs ?? 0) / 1000).toFixed(2).padStart(7)} s`);
  const overall = fresh.summary.nodes.find((n) => n.id === 'evaluator')?.outputs?.evaluation?.properties.overall ?? {};
  const fmt = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : '-');
  console.log(`\nmodel: accuracy ${fmt(overall.accuracy)} vs majority-class baseline ${fmt(overall.majority_baseline_accuracy)}, AUC ${fmt(overall.auc)}`);

  const rows: [string, number, number][] = [
    ['fresh run (process wall time)', fresh.wallS, 60],
    [`cached rerun (median of ${cached.length})`, median(cached), 2],
  ];
  console.log('\n| measurement | seconds | goal | met |');
  console.log('|---|---|---|---|');
  for (const [name, s, goal] of rows) console.log(`| ${name} | ${s.toFixed(2)} | < ${goal} s | ${s < goal ? 'yes' : 'NO'} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
