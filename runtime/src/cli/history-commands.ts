/**
 * Data over time and experiment tracking in the CLI: `trends`, `runs --metrics`, `compare`.
 * Queries live in metadata/trends.ts and metadata/experiments.ts; this file only prints.
 */
import type { Command } from 'commander';
import { fileExperimentLoaders, fileTrendLoaders } from '../metadata/artifact-files.ts';
import { compareRuns, differingParams, experimentRuns, type ExperimentRun, type RunComparison } from '../metadata/experiments.ts';
import type { MetadataBackend } from '../metadata/backend.ts';
import { spanTrends, type SpanTrend, type TrendsReport } from '../metadata/trends.ts';
import { UserError } from '../core/errors.ts';

type Print = (line: string) => void;
export type OpenStore = (file: string | undefined) => Promise<{ store: MetadataBackend; pipeline: string }>;

const num = (x: number | undefined) =>
  x === undefined ? '-' : Number.isInteger(x) ? String(x) : Math.abs(x) >= 1000 || Math.abs(x) < 0.01 ? x.toPrecision(4) : x.toFixed(3);

/** Left-aligned columns, widths from the content. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

function featureRows(report: TrendsReport, feature: string, split: string): { type?: string; lines: string[] } {
  const points = report.spans.map((s) => ({ s, p: s.features[feature]?.[split] }));
  const type = points.find((x) => x.p)?.p?.type;
  const isString = type === 'STRING' || type === 'BYTES';
  const header = isString
    ? ['span', 'run', 'count', 'missing', 'unique', 'top values', 'anomalies']
    : ['span', 'run', 'count', 'missing', 'mean', 'std', 'min', 'median', 'max', 'anomalies'];
  const rows = points.map(({ s, p }) => {
    const anomalies = s.anomalies
      .filter((a) => a.feature === feature && a.split === split)
      .map((a) => `${a.severity} ${a.shortDescription}`)
      .join('; ');
    const head = [spanLabel(s), s.runId];
    if (!p) return [...head, '(absent)', '', ...(isString ? ['', ''] : ['', '', '', '', '']), anomalies];
    const common = [String(p.count), `${p.missingPct.toFixed(1)}%`];
    const rest = isString
      ? [num(p.unique), (p.topValues ?? []).slice(0, 3).map((t) => `${t.value} ${t.frequency}`).join(', ')]
      : [num(p.mean), num(p.std), num(p.min), num(p.median), num(p.max)];
    return [...head, ...common, ...rest, anomalies];
  });
  return { type, lines: table(header, rows) };
}

const spanLabel = (s: SpanTrend) => `${s.span}${s.version !== undefined ? ` v${s.version}` : ''}`;

function printTrends(report: TrendsReport, split: string | undefined, print: Print): void {
  if (report.spans.length === 0) {
    print(`No statistics with a span recorded for pipeline "${report.pipeline}" (use an input pattern with {SPAN})`);
    return;
  }
  const splits = [...new Set(report.spans.flatMap((s) => Object.keys(s.numExamples)))];
  const chosen = split ?? (splits.includes('train') ? 'train' : splits[0]);
  if (!splits.includes(chosen)) throw new UserError(`No split "${chosen}" in the statistics (splits: ${splits.join(', ')})`);
  print(`pipeline ${report.pipeline}, statistics of node ${report.nodeId ?? '?'}, split ${chosen}`);
  print('');
  const overview = report.spans.map((s) => {
    const errors = s.anomalies.filter((a) => a.severity === 'ERROR').length;
    return [spanLabel(s), s.runId, String(s.numExamples[chosen] ?? '-'), s.comparedSpan !== undefined ? String(s.comparedSpan) : '-', `${s.anomalies.length} (${errors} errors)`];
  });
  const anomaliesHeader = report.feature !== undefined ? `anomalies of ${report.feature}` : 'anomalies';
  for (const line of table(['span', 'run', 'examples', 'compared with span', anomaliesHeader], overview)) print(line);
  const features = report.feature !== undefined ? [report.feature] : report.allFeatures;
  for (const f of features) {
    const { type, lines } = featureRows(report, f, chosen);
    print('');
    print(`${f}${type ? ` (${type})` : ''}`);
    for (const line of lines) print(`  ${line}`);
  }
}

function metricsText(m: Record<string, number>, max = 4): string {
  const entries = Object.entries(m);
  const shown = entries.slice(0, max).map(([k, v]) => `${k}=${num(v)}`);
  return entries.length > max ? `${shown.join(' ')} +${entries.length - max}` : shown.join(' ') || '-';
}

function printRunsTable(runs: ExperimentRun[], print: Print): void {
  if (runs.length === 0) {
    print('No runs recorded');
    return;
  }
  const differing = differingParams(runs);
  const rows = runs.map((r) => [
    r.runId,
    r.state,
    Object.values(r.spans).map((s) => `${s.span}${s.version !== undefined ? ` v${s.version}` : ''}`).join(',') || '-',
    differing.filter((k) => r.params[k] !== undefined).map((k) => `${k}=${r.params[k]}`).join(' ') || '-',
    metricsText(r.trainMetrics),
    metricsText(r.evalMetrics),
    r.blessed === undefined ? '-' : r.blessed ? 'blessed' : 'NOT blessed',
  ]);
  for (const line of table(['run', 'state', 'span', 'params that differ', 'train (last epoch)', 'eval (overall)', 'blessing'], rows)) print(line);
}

function printComparison(c: RunComparison, print: Print): void {
  print(`compare ${c.a} (a, ${c.states.a}) → ${c.b} (b, ${c.states.b})`);
  const section = (title: string, rows: string[][], header: string[]) => {
    print('');
    if (rows.length === 0) {
      print(`${title}: same`);
      return;
    }
    print(`${title}:`);
    for (const line of table(header, rows)) print(`  ${line}`);
  };
  section('data spans', c.spans.map((d) => [d.key, d.a ?? '-', d.b ?? '-']), ['node', 'a', 'b']);
  section('params', c.params.map((d) => [d.key, d.a ?? '(unset)', d.b ?? '(unset)']), ['param', 'a', 'b']);
  section('module and file hashes', c.moduleHashes.map((d) => [d.key, d.a?.slice(0, 16) ?? '-', d.b?.slice(0, 16) ?? '-']), ['param', 'a', 'b']);
  section(
    'metrics',
    c.metrics.map((m) => [m.key, num(m.a), num(m.b), m.delta === undefined ? '' : `${m.delta >= 0 ? '+' : ''}${num(m.delta)}`]),
    ['metric', 'a', 'b', 'b − a'],
  );
  if (c.blessed.a !== undefined || c.blessed.b !== undefined) {
    print('');
    print(`blessing: a ${c.blessed.a ?? '-'}, b ${c.blessed.b ?? '-'}`);
  }
}

/** `runs --metrics`: called from the runs command of main.ts. */
export async function runsWithMetrics(open: OpenStore, file: string | undefined, json: boolean, print: Print, limit = 20): Promise<void> {
  const { store, pipeline } = await open(file);
  const runs = experimentRuns(await store.queries.view(await store.queries.runSeqs({ pipeline, limit })), pipeline, fileExperimentLoaders);
  if (json) print(JSON.stringify({ pipeline, differingParams: differingParams(runs), runs }, null, 2));
  else printRunsTable(runs, print);
}

export function addHistoryCommands(program: Command, open: OpenStore, print: Print): void {
  program
    .command('trends')
    .description("Per-span history of features' statistics and anomalies (inputs with a {SPAN} pattern)")
    .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
    .option('--feature <name>', 'only this feature')
    .option('--split <name>', 'split to print (default: train); --json has every split')
    .option('--node <id>', 'the StatisticsGen node (default: the one that ran last)')
    .option('--json', 'print JSON (what the editor charts)')
    .action(async (file: string | undefined, opts: { feature?: string; split?: string; node?: string; json?: boolean }) => {
      const { store, pipeline } = await open(file);
      // The runs that published statistics or anomalies: what a span's history is made of.
      const seqs = (await Promise.all(['ExampleStatistics', 'ExampleAnomalies'].map((type) => store.queries.typeSeqs(pipeline, type, Infinity)))).flat();
      const report = spanTrends(await store.queries.view(seqs), pipeline, fileTrendLoaders, { feature: opts.feature, nodeId: opts.node });
      if (opts.feature !== undefined && report.spans.length > 0 && !report.allFeatures.includes(opts.feature)) {
        throw new UserError(`No feature "${opts.feature}" in any span's statistics (features: ${report.allFeatures.join(', ')})`);
      }
      if (opts.json) print(JSON.stringify(report, null, 2));
      else printTrends(report, opts.split, print);
    });

  program
    .command('compare')
    .description('Differences between two runs: params, data spans, module hashes, training and evaluation metrics')
    .argument('<runA>', 'run id (see `tributary runs`)')
    .argument('<runB>', 'run id')
    .argument('[file]', 'a *.pipeline.yaml file (default: the one in this folder)')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, file: string | undefined, opts: { json?: boolean }) => {
      const { store, pipeline } = await open(file);
      const seqs = (await Promise.all([a, b].map((id) => store.queries.seqOf(id)))).filter((s) => s !== undefined);
      const runs = experimentRuns(await store.queries.view(seqs), pipeline, fileExperimentLoaders);
      const find = (id: string) => {
        const r = runs.find((x) => x.runId === id);
        if (!r) throw new UserError(`No run ${id} of pipeline "${pipeline}" (see tributary runs)`);
        return r;
      };
      const comparison = compareRuns(find(a), find(b));
      if (opts.json) print(JSON.stringify(comparison, null, 2));
      else printComparison(comparison, print);
    });
}
