/**
 * Auto layout's cost, as the canvas's button runs it (untangle, zoomed out, measured compact
 * sizes) for the taxi samples in the reference pane (1600×1000 window, Explorer open) and in a
 * narrow one, against a peer measured in the same run: left to right only (no pane: one shape,
 * what the button did before it weighed shapes). Medians of `--runs`
 * (default 5) after one warm-up; CPU time besides wall time (a loaded machine inflates wall time).
 *   node --import tsx bench/layout-bench.ts [--runs N]
 */
import { readFileSync } from 'node:fs';
import { builtinRegistry } from '../runtime/src/components/index.ts';
import { parsePipeline } from '../runtime/src/pipeline/parse.ts';
import { canvasNodes } from '../extension/src/canvas/document-model.ts';
import { specMap, toComponentInfo } from '../extension/src/canvas/specs.ts';
import { autoLayout, compactNodeSize, type LayoutOptions } from '../webview/src/canvas/layout.ts';
import { REFERENCE_PANE, SAMPLES } from '../scripts/layout-samples.ts';
import { loadavg } from 'node:os';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const specs = specMap(builtinRegistry().list().map((d) => toComponentInfo(d.spec)));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median wall and CPU milliseconds (CPU time reads truer on a loaded machine: it does not count waiting for a core). */
function timed(run: () => unknown): { wall: number; cpu: number } {
  run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [start, used] = [performance.now(), process.cpuUsage()];
    run();
    wall.push(performance.now() - start);
    const spent = process.cpuUsage(used);
    cpu.push((spent.user + spent.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}
const show = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(0)} ms (CPU ${t.cpu.toFixed(0)} ms)`;

console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; medians of ${RUNS}`);
for (const file of SAMPLES) {
  const nodes = canvasNodes(parsePipeline(readFileSync(file, 'utf8'), file));
  const ports = Object.fromEntries(nodes.map((n) => [n.id, { inputs: Object.keys(specs.get(n.component)?.inputs ?? {}), outputs: Object.keys(specs.get(n.component)?.outputs ?? {}) }]));
  const sizes = Object.fromEntries(nodes.map((n) => [n.id, compactNodeSize(n.id)]));
  const base: LayoutOptions = { sizes, ports, untangle: true, zoomedOut: true };
  const row = timed(() => autoLayout(nodes, base));
  const name = file.split('/').pop();
  for (const [pane, viewport] of [['reference pane 1062×849', REFERENCE_PANE], ['narrow pane 600×900', { width: 600, height: 900 }]] as const) {
    const ms = timed(() => autoLayout(nodes, { ...base, viewport }));
    console.log(`${name} ${pane}: ${show(ms)}; left to right only ${show(row)}; ${(ms.cpu / row.cpu).toFixed(2)}x the CPU`);
  }
}
