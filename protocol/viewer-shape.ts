/**
 * The viewers' data shaping: pure functions from the artifact formats to what the tables and charts
 * draw. No React, no DOM: unit-tested under plain Node (test/webview/viewers-shape.test.ts).
 */
import type { Anomalies, ExampleAnomaliesFile, Severity } from '../runtime/src/formats/anomalies.ts';
import { type DatasetFeatureStatisticsList, featureSummary, type FeatureSummary } from '../runtime/src/formats/statistics.ts';
import type { EpochLine, EvaluationSlice, RunSummary } from './viewer-payload.ts';

// ---------------------------------------------------------------------------------------------
// Statistics (Facets-style)

/** One feature in one split (shared with the runtime's data trends). */
export type SplitFeatureStats = FeatureSummary;

export interface FeatureRow {
  name: string;
  type: string;
  /** Per split name, in the file's split order; absent where a split lacks the feature. */
  splits: Record<string, SplitFeatureStats | undefined>;
  anomaly?: { severity: Severity; description: string; splits: string[] };
}

export interface StatisticsTable {
  splits: { name: string; numExamples: number }[];
  numeric: FeatureRow[];
  categorical: FeatureRow[];
}

/** Worst severity first: ERROR > WARNING > UNKNOWN. */
const SEVERITY_RANK: Record<Severity, number> = { ERROR: 2, WARNING: 1, UNKNOWN: 0 };

/** One row per feature across splits; numeric and categorical apart, as Facets Overview shows them. */
export function statisticsTable(stats: DatasetFeatureStatisticsList, anomalies?: ExampleAnomaliesFile): StatisticsTable {
  const splits = stats.datasets.map((d) => ({ name: d.name, numExamples: d.numExamples }));
  const rows = new Map<string, FeatureRow>();
  for (const dataset of stats.datasets) {
    for (const f of dataset.features) {
      let row = rows.get(f.name);
      if (!row) {
        row = { name: f.name, type: f.type, splits: Object.fromEntries(splits.map((s) => [s.name, undefined])) };
        rows.set(f.name, row);
      }
      row.splits[dataset.name] = featureSummary(f, dataset.numExamples);
    }
  }
  for (const [split, file] of Object.entries(anomalies?.splits ?? {})) {
    for (const [feature, info] of Object.entries(file.anomalyInfo)) {
      const row = rows.get(feature);
      if (!row) continue;
      if (!row.anomaly || SEVERITY_RANK[info.severity] > SEVERITY_RANK[row.anomaly.severity]) {
        row.anomaly = { severity: info.severity, description: info.description || info.shortDescription, splits: [...(row.anomaly?.splits ?? []), split] };
      } else if (!row.anomaly.splits.includes(split)) row.anomaly.splits.push(split);
    }
  }
  const all = [...rows.values()];
  const isNumeric = (r: FeatureRow) => r.type === 'INT' || r.type === 'FLOAT';
  return { splits, numeric: all.filter(isNumeric), categorical: all.filter((r) => !isNumeric(r)) };
}

/** Rows with an anomaly first (worst first), then by name: what needs attention is on top. */
export function sortFeatureRows(rows: FeatureRow[]): FeatureRow[] {
  return [...rows].sort((a, b) => {
    const sa = a.anomaly ? SEVERITY_RANK[a.anomaly.severity] + 1 : 0;
    const sb = b.anomaly ? SEVERITY_RANK[b.anomaly.severity] + 1 : 0;
    return sb - sa || a.name.localeCompare(b.name);
  });
}

// ---------------------------------------------------------------------------------------------
// Anomalies

export interface AnomalyRow {
  split: string;
  feature: string;
  severity: Severity;
  shortDescription: string;
  description: string;
  reasons: string[];
}

export function anomalyRows(file: ExampleAnomaliesFile): AnomalyRow[] {
  const out: AnomalyRow[] = [];
  for (const [split, a] of Object.entries(file.splits) as [string, Anomalies][]) {
    const entries = Object.entries(a.anomalyInfo);
    if (a.datasetAnomalyInfo) entries.push(['(dataset)', a.datasetAnomalyInfo]);
    for (const [feature, info] of entries) {
      out.push({ split, feature, severity: info.severity, shortDescription: info.shortDescription, description: info.description, reasons: info.reason.map((r) => r.type) });
    }
  }
  return out.sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || x.feature.localeCompare(y.feature) || x.split.localeCompare(y.split));
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Metric names in a stable, useful order: those of the overall slice first, example_count last. */
export function metricNames(slices: EvaluationSlice[]): string[] {
  const names: string[] = [];
  for (const s of slices) for (const k of Object.keys(s.metrics)) if (!names.includes(k)) names.push(k);
  return names.filter((n) => n !== 'example_count');
}

export type SortKey = { column: 'name' | 'example_count' | string; descending: boolean };

/** Sorted slices; missing (null) values sort last in either direction. The overall slice stays first. */
export function sortSlices(slices: EvaluationSlice[], key: SortKey): EvaluationSlice[] {
  const [overall, rest] = slices.length && Object.keys(slices[0].slice).length === 0 ? [slices[0], slices.slice(1)] : [undefined, slices];
  const value = (s: EvaluationSlice): number | string | null =>
    key.column === 'name' ? s.name : key.column === 'example_count' ? s.example_count : (s.metrics[key.column] ?? null);
  const sorted = [...rest].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || (typeof va === 'number' && Number.isNaN(va))) return vb === null ? 0 : 1;
    if (vb === null || (typeof vb === 'number' && Number.isNaN(vb))) return -1;
    const c = typeof va === 'string' || typeof vb === 'string' ? String(va).localeCompare(String(vb)) : va - vb;
    return key.descending ? -c : c;
  });
  return overall ? [overall, ...sorted] : sorted;
}

// ---------------------------------------------------------------------------------------------
// Training curves

export interface CurveSeries {
  metric: string;
  /** Indexed like `epochs`; null where an epoch lacks the value. */
  train: (number | null)[];
  validation?: (number | null)[];
}

/** Lines of metrics.jsonl → one chart per metric, train vs validation (Keras's `val_` prefix). */
export function parseMetricsJsonl(text: string): EpochLine[] {
  const out: EpochLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as EpochLine;
      if (typeof parsed.epoch === 'number') out.push(parsed);
    } catch {
      // A line being written while we read: skip it; the next refresh has it.
    }
  }
  return out;
}

export function curveSeries(lines: EpochLine[]): { epochs: number[]; series: CurveSeries[] } {
  const sorted = [...lines].sort((a, b) => a.epoch - b.epoch);
  const epochs = sorted.map((l) => l.epoch + 1);
  const metrics: string[] = [];
  for (const l of sorted) {
    for (const [k, v] of Object.entries(l)) {
      if (k === 'epoch' || typeof v !== 'number' || k.startsWith('val_')) continue;
      if (!metrics.includes(k)) metrics.push(k);
    }
  }
  // A validation-only metric still gets its chart.
  for (const l of sorted) for (const k of Object.keys(l)) if (k.startsWith('val_') && !metrics.includes(k.slice(4))) metrics.push(k.slice(4));
  const column = (k: string) => sorted.map((l) => (typeof l[k] === 'number' ? (l[k] as number) : null));
  return {
    epochs,
    series: metrics.map((m) => {
      const validation = column(`val_${m}`);
      return { metric: m, train: column(m), ...(validation.some((v) => v !== null) ? { validation } : {}) };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Run comparison

export interface ComparisonRow {
  key: string;
  values: (string | number | undefined)[];
  /** True when the runs disagree (or some lack the value). */
  differs: boolean;
}

function rows(runs: RunSummary[], pick: (r: RunSummary) => Record<string, string | number>): ComparisonRow[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  return keys.map((key) => {
    const values = runs.map((r) => pick(r)[key]);
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
}

export function compareRuns(runs: RunSummary[]): { params: ComparisonRow[]; metrics: ComparisonRow[] } {
  return { params: rows(runs, (r) => r.params), metrics: rows(runs, (r) => r.metrics) };
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return x.toLocaleString('en-US');
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
